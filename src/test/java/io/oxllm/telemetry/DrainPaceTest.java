package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DrainPaceTest {
  private static final long MS = 1_000_000;
  private long now = 7 * MS; // any origin: only differences count
  private final DrainPace pace = new DrainPace(1024, 1, 50, now);

  /** A drain {@code sinceNanos} after the one before took {@code drained} records; the next delay. */
  private long drainAfter(DrainPace p, int drained, long sinceNanos) {
    now += sinceNanos;
    return p.nextDelayMs(drained, now);
  }

  @Test
  void aQuietQueueIsDrainedAtTheLongestPeriod() {
    assertEquals(50, drainAfter(pace, 0, 50 * MS));
    assertEquals(50, drainAfter(pace, 3, 50 * MS), "60 a second fills a quarter in 4 s");
  }

  @Test
  void aSteadyRateKeepsItsPaceInsteadOfFallingBackToTheLongPeriod() {
    // 30k records a second: 150 per 5 ms; a quarter (256) fills in 8.5 ms
    long delay = drainAfter(pace, 150, 5 * MS);
    assertEquals(8, delay);
    // the next drain, after that delay, sees the same rate and keeps the same pace
    int next = (int) (30 * delay);
    assertEquals(8, drainAfter(pace, next, delay * MS));
    assertTrue(30 * 50 > 1024, "the old fixed 50 ms period would have overflowed the queue at this rate");
  }

  @Test
  void aFloodIsDrainedAtTheShortestPeriod() {
    assertEquals(1, drainAfter(pace, 1024, 1 * MS));
    assertEquals(1, drainAfter(pace, 1, 0), "no time elapsed counts as a flood, not a division by zero");
  }

  @Test
  void aTinyQueueStillGetsAPositiveQuarter() {
    DrainPace small = new DrainPace(1, 1, 50, now);
    assertEquals(50, drainAfter(small, 1, 100 * MS));
    assertEquals(1, drainAfter(small, 10, 1 * MS));
  }
}
