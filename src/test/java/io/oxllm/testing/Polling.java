package io.oxllm.testing;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.function.ThrowingSupplier;

/**
 * Blocking helpers for integration tests written in plain sequential style (on the JUnit thread,
 * never on an event loop): wait for a future with a deadline, and poll for a condition with a
 * deadline instead of sleeping and hoping.
 */
public final class Polling {
  /** How long {@link #await(Future)} waits. */
  public static final Duration AWAIT = Duration.ofSeconds(15);
  private static final long STEP_MS = 25;

  private Polling() {}

  /** The future's result, waiting at most {@link #AWAIT}; its failure is rethrown. */
  public static <T> T await(Future<T> f) {
    return await(f, AWAIT);
  }

  public static <T> T await(Future<T> f, Duration within) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(cause);
    } catch (TimeoutException e) {
      throw new AssertionError("no result within " + within.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@code check} until it passes (no exception) or {@code within} has passed; then rethrows its last failure. */
  public static void eventually(Duration within, Executable check) {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      try {
        check.execute();
        return;
      } catch (Throwable t) {
        if (System.nanoTime() > deadline) {
          AssertionError e = new AssertionError("not true within " + within.toMillis() + " ms: " + t.getMessage());
          e.initCause(t);
          throw e;
        }
      }
      pause();
    }
  }

  /** Polls {@code probe} until {@code done} holds for its value; returns that value. */
  public static <T> T until(Duration within, ThrowingSupplier<T> probe, Predicate<T> done, String what) {
    long deadline = System.nanoTime() + within.toNanos();
    T last = null;
    Throwable lastError = null;
    while (true) {
      try {
        last = probe.get();
        if (done.test(last)) {
          return last;
        }
      } catch (Throwable t) {
        lastError = t;
      }
      if (System.nanoTime() > deadline) {
        AssertionError e = new AssertionError(what + ": not reached within " + within.toMillis() + " ms; last seen: "
            + last + (lastError == null ? "" : "; last error: " + lastError));
        if (lastError != null) {
          e.initCause(lastError);
        }
        throw e;
      }
      pause();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(STEP_MS); // the poll interval, not a guess at how long something takes
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
