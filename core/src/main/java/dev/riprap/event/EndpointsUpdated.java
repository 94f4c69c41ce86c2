package dev.riprap.event;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An endpoint group's set was replaced ({@code update}): the endpoints that joined and those that
 * left, by name. Endpoints that stayed are in neither list. Metrics bindings use it to add and
 * remove per-endpoint meters.
 *
 * @param policy the endpoint group's name
 * @param tags the group's tags
 * @param time when the set was replaced
 * @param added the names of the endpoints that joined, in the order given
 * @param removed the names of the endpoints that left
 */
public record EndpointsUpdated(
    String policy, Map<String, String> tags, Instant time, List<String> added,
    List<String> removed)
    implements EndpointEvent {

  /**
   * Creates the event; the lists are copied.
   *
   * @param policy the endpoint group's name
   * @param tags the group's tags
   * @param time when the set was replaced
   * @param added the names of the endpoints that joined
   * @param removed the names of the endpoints that left
   */
  public EndpointsUpdated {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
  }
}
