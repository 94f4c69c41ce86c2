package dev.riprap.http;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a {@link POST} or {@link PATCH} method safe to send more than once, so it may be
 * retried: each call carries a fresh {@code Idempotency-Key} header (a random UUID, the same on
 * every attempt of that call), which lets the {@link ResilientHttpClient} retry it and lets the
 * server drop duplicates. Without it, a {@code @Retry} on a POST or PATCH fails when the proxy is
 * made. On methods that are idempotent already (GET, HEAD, PUT, DELETE) it changes nothing.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Idempotent {}
