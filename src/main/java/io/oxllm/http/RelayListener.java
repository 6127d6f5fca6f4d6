package io.oxllm.http;

import io.oxllm.routing.AttemptOutcome;
import io.oxllm.upstream.AttemptError;

/**
 * How a {@link ResponseRelay} (and its {@link StreamEnd}) tells its exchange what happened to the
 * attempt it relays.
 */
interface RelayListener {
  /**
   * The response is committed to the client (SPEC section 5's commit point): no attempt may
   * follow, so the request's body is no longer needed.
   */
  void committed();

  /** Nothing reached the client yet and the attempt failed: the exchange may fail over. */
  void failedBeforeCommit(AttemptError reason);

  /**
   * The response is committed to the client and has now ended, cleanly or not: {@code note} says
   * why not, else null.
   */
  void ended(AttemptOutcome.Kind kind, AttemptError note);

  /** The client went away; nothing more may be written. */
  boolean clientGone();
}
