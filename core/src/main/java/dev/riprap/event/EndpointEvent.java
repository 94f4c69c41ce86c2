package dev.riprap.event;

/**
 * Something an endpoint group ({@code dev.riprap.endpoint.EndpointGroup}) did: it ejected an
 * endpoint, restored one, entered or left panic mode, sent a hedge or saw one win. Published on
 * the group's own event stream, which forwards to a parent stream (a registry's) when the group
 * was built with one.
 *
 * <p>{@link #policy()} is the group's name and {@link #tags()} the group's tags; endpoints are
 * named by the group's name function (default {@code toString()}), so the names are as many as
 * the endpoints, never more.
 */
public sealed interface EndpointEvent extends PolicyEvent
    permits EndpointEjected, EndpointRestored, EndpointPanicChanged, HedgeSent, HedgeWon {}
