package dev.riprap.annotation;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

/** The proxy's dispatcher: Object methods to the target, the rest through their plans. */
final class ProxyHandler implements InvocationHandler {
  private final Object target;
  private final Map<Method, MethodPlan> plans;

  ProxyHandler(Object target, Map<Method, MethodPlan> plans) {
    this.target = target;
    this.plans = plans;
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      switch (method.getName()) {
        case "equals":
          Object other = args[0];
          if (other != null && Proxy.isProxyClass(other.getClass())
              && Proxy.getInvocationHandler(other) instanceof ProxyHandler) {
            other = ((ProxyHandler) Proxy.getInvocationHandler(other)).target;
          }
          return target.equals(other);
        case "hashCode":
          return target.hashCode();
        default:
          return target.toString();
      }
    }
    MethodPlan plan = plans.get(method);
    if (plan == null) {
      throw new IllegalStateException("no plan for " + method); // a Proxy only sends api methods
    }
    return plan.invoke(proxy, args);
  }
}
