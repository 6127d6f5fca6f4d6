package io.oxllm.http;

import io.oxllm.routing.AttemptOutcome;

/** How a {@link ResponseRelay} tells its exchange what happened to the attempt it relays. */
interface RelayListener {
  /** Nothing reached the client yet and the attempt failed: the exchange may fail over. */
  void failedBeforeCommit(String reason);

  /** The response is committed to the client and has now ended (cleanly or not). */
  void ended(AttemptOutcome.Kind kind, String note);

  /** The client went away; nothing more may be written. */
  boolean clientGone();
}
