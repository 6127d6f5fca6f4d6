package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DrainPaceTest {
  private static final long MS = 1_000_000;
  private final DrainPace pace = new DrainPace(1024, 1, 50);

  @Test
  void aQuietQueueIsDrainedAtTheLongestPeriod() {
    assertEquals(50, pace.nextDelayMs(0, 50 * MS));
    assertEquals(50, pace.nextDelayMs(3, 50 * MS), "60 a second fills a quarter in 4 s");
  }

  @Test
  void aSteadyRateKeepsItsPaceInsteadOfFallingBackToTheLongPeriod() {
    // 30k records a second: 150 per 5 ms; a quarter (256) fills in 8.5 ms
    long delay = pace.nextDelayMs(150, 5 * MS);
    assertEquals(8, delay);
    // the next drain, after that delay, sees the same rate and keeps the same pace
    int next = (int) (30 * delay);
    assertEquals(8, pace.nextDelayMs(next, delay * MS));
    assertTrue(30 * 50 > 1024, "the old fixed 50 ms period would have overflowed the queue at this rate");
  }

  @Test
  void aFloodIsDrainedAtTheShortestPeriod() {
    assertEquals(1, pace.nextDelayMs(1024, 1 * MS));
    assertEquals(1, pace.nextDelayMs(1, 0), "no time elapsed counts as a flood, not a division by zero");
  }

  @Test
  void aTinyQueueStillGetsAPositiveQuarter() {
    DrainPace small = new DrainPace(1, 1, 50);
    assertEquals(50, small.nextDelayMs(1, 100 * MS));
    assertEquals(1, small.nextDelayMs(10, 1 * MS));
  }
}
