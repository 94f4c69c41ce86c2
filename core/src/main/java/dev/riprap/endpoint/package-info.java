/**
 * Endpoint groups: one call's attempts spread over interchangeable endpoints of any type, with
 * balancing (power of two choices over least outstanding attempts or peak EWMA latency, round
 * robin), outlier ejection with a bounded ejected share and panic mode, and retries sent to
 * endpoints the call has not tried yet. Runs on a {@link dev.riprap.Policy} through its public
 * entry points; see {@link dev.riprap.endpoint.EndpointGroup}.
 */
package dev.riprap.endpoint;
