package dev.riprap.http;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Sends this parameter as the request body: a {@code String} as UTF-8 {@code text/plain}, a {@code
 * byte[]} as {@code application/octet-stream}, anything else encoded by the {@link HttpApi}'s
 * {@link BodyCodec} with the codec's media type. A {@code Content-Type} given by a {@link Header}
 * parameter wins. At most one per method; not allowed on {@link GET} or {@link HEAD}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Body {}
