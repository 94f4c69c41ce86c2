package dev.riprap;

/** How a call ends: a result, or a failure. Written by the call's single owner. */
class Outcome {
  Object result;
  Throwable failure;
}
