package io.oxllm.telemetry;

import java.util.Locale;

/** How a request ended, as the JSONL request log spells it ({@link #jsonName()}). */
public enum Outcome {
  /** The client got an upstream's answer (any status the upstream chose, streams ended cleanly). */
  OK,
  /** Every attempt failed, or a committed stream was cut. */
  UPSTREAM_ERROR,
  /** The client went away first; not a provider failure. */
  CLIENT_CLOSED,
  /** Refused before any upstream was asked (auth, bad body, unknown model, none usable, draining). */
  REJECTED;

  private final String json = name().toLowerCase(Locale.ROOT);

  /** {@code ok}, {@code upstream_error}, {@code client_closed} or {@code rejected}. */
  public String jsonName() {
    return json;
  }
}
