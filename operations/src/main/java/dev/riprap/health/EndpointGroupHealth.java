package dev.riprap.health;

import java.util.List;

/**
 * The health of one endpoint group: a service's replicas ({@code
 * dev.riprap.endpoint.EndpointGroup}, an HTTP client's logical service).
 *
 * <table>
 *   <caption>The group's status</caption>
 *   <tr><th>status</th><th>when</th></tr>
 *   <tr><td>{@link HealthStatus#UP}</td><td>every endpoint in rotation</td></tr>
 *   <tr><td>{@link HealthStatus#DEGRADED}</td><td>some endpoints out of rotation (ejected by
 *       outlier detection, or unhealthy by the active health check), the rest taking the
 *       traffic</td></tr>
 *   <tr><td>{@link HealthStatus#DOWN}</td><td>no endpoint in rotation, or the group in panic mode
 *       (too few in rotation: attempts go to all of them, failing ones included)</td></tr>
 * </table>
 *
 * <p>In the service's overall status a group that is {@code DOWN} counts as {@link
 * HealthStatus#DEGRADED} unless it is critical ({@link HealthMonitor#monitorCritical(
 * dev.riprap.endpoint.EndpointGroup)}, or its name {@linkplain HealthMonitor#markCritical(String)
 * marked critical}), as an open breaker does.
 *
 * @param group the group's name (the service's name for an HTTP client)
 * @param critical whether the group being {@code DOWN} makes the service {@code DOWN} and not ready
 * @param status the group's own status (see above)
 * @param panic whether the group is in panic mode
 * @param endpoints every endpoint, in the group's order
 */
public record EndpointGroupHealth(
    String group, boolean critical, HealthStatus status, boolean panic,
    List<EndpointHealth> endpoints) {

  /**
   * Creates a group's entry; the list is copied.
   *
   * @param group the group's name
   * @param critical whether critical
   * @param status its status
   * @param panic whether in panic mode
   * @param endpoints its endpoints
   */
  public EndpointGroupHealth {
    endpoints = List.copyOf(endpoints);
  }

  /**
   * One endpoint of the group.
   *
   * @param name the endpoint's name (the group's name function's)
   * @param ejected whether outlier detection has it out of rotation
   * @param healthy whether the active health check has it in rotation ({@code true} without one)
   * @param outstanding the attempts in flight on it
   */
  public record EndpointHealth(String name, boolean ejected, boolean healthy, int outstanding) {
    /**
     * Whether it takes traffic outside panic mode: not ejected and healthy.
     *
     * @return {@code true} when in rotation
     */
    public boolean inRotation() {
      return !ejected && healthy;
    }
  }

  /**
   * The endpoints in rotation (neither ejected nor unhealthy).
   *
   * @return the count
   */
  public int inRotation() {
    int n = 0;
    for (EndpointHealth e : endpoints) {
      n += e.inRotation() ? 1 : 0;
    }
    return n;
  }

  void toJson(StringBuilder out) {
    out.append("{\"group\":");
    Json.string(out, group);
    out.append(",\"critical\":").append(critical);
    out.append(",\"status\":");
    Json.string(out, status.name());
    out.append(",\"panic\":").append(panic);
    out.append(",\"inRotation\":").append(inRotation());
    out.append(",\"endpoints\":[");
    for (int i = 0; i < endpoints.size(); i++) {
      EndpointHealth e = endpoints.get(i);
      if (i > 0) {
        out.append(',');
      }
      out.append("{\"name\":");
      Json.string(out, e.name());
      out.append(",\"ejected\":").append(e.ejected());
      out.append(",\"healthy\":").append(e.healthy());
      out.append(",\"outstanding\":").append(e.outstanding()).append('}');
    }
    out.append("]}");
  }
}
