package io.oxllm.upstream;

import io.vertx.core.http.ConnectionPoolTooBusyException;

/**
 * An attempt that failed before response headers: why ({@link AttemptError}), and whether the
 * provider was at fault: waiting for one of our own pooled connections is not (SPEC section 4
 * counts failures of the provider; a full pool opened a healthy provider's circuit).
 */
public final class AttemptFailure extends Exception {
  private final AttemptError error;
  private final boolean providersFault;

  public AttemptFailure(AttemptError error) {
    this(error, true);
  }

  private AttemptFailure(AttemptError error, boolean providersFault) {
    super(error.text(), null, false, false);
    this.error = error;
    this.providersFault = providersFault;
  }

  public AttemptError error() {
    return error;
  }

  /** False when the attempt never reached the provider because our own pool had no connection for it. */
  public boolean providersFault() {
    return providersFault;
  }

  /** Classifies a transport error; an abort (a timeout we fired) wins over its side effects. */
  static AttemptFailure of(Throwable err, AttemptError abort) {
    if (err instanceof AttemptFailure f) {
      return f;
    }
    if (abort != null) {
      return new AttemptFailure(abort);
    }
    boolean poolWait = err instanceof ConnectionPoolTooBusyException || AttemptError.isPoolWait(err);
    return new AttemptFailure(AttemptError.transport(err), !poolWait);
  }
}
