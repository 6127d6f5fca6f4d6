package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** W3C traceparent parsing and formatting, and id generation. */
class TraceIdsTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN = "00f067aa0ba902b7";
  private static final long TRACE_HIGH = 0x4bf92f3577b34da6L;
  private static final long TRACE_LOW = 0xa3ce929d0e0e4736L; // the sign bit set: unsigned all through
  private static final long SPAN_ID = 0x00f067aa0ba902b7L;

  @Test
  void newIdsAreNeverZeroAndDiffer() {
    for (int i = 0; i < 1000; i++) {
      assertNotEquals(0, TraceIds.newSpanId());
      assertNotEquals(0, TraceIds.newTraceIdLow());
    }
    assertNotEquals(TraceIds.newSpanId(), TraceIds.newSpanId());
    assertNotEquals(TraceIds.newTraceIdHigh(), TraceIds.newTraceIdHigh());
  }

  @Test
  void parsesAValidTraceparent() {
    TraceIds.Parent p = TraceIds.parse("00-" + TRACE + "-" + SPAN + "-01");
    assertEquals(new TraceIds.Parent(TRACE_HIGH, TRACE_LOW, SPAN_ID, true), p);
    assertFalse(TraceIds.parse("00-" + TRACE + "-" + SPAN + "-00").sampled());
    // one half of a trace id may be zero, not both
    assertEquals(0, TraceIds.parse("00-" + "0".repeat(16) + TRACE.substring(16) + "-" + SPAN + "-01").traceIdHigh());
  }

  @Test
  void aLaterVersionMayCarryMoreFields() {
    assertEquals(TRACE_LOW, TraceIds.parse("01-" + TRACE + "-" + SPAN + "-01-extra").traceIdLow());
    assertNull(TraceIds.parse("01-" + TRACE + "-" + SPAN + "-01extra"));
  }

  @Test
  void refusesInvalidTraceparents() {
    String[] bad = {
      null, "", "garbage",
      "00-" + TRACE + "-" + SPAN + "-01-extra",              // version 00 has exactly four fields
      "ff-" + TRACE + "-" + SPAN + "-01",                    // version ff is invalid
      "00-" + TRACE.toUpperCase() + "-" + SPAN + "-01",      // uppercase hex
      "00-00000000000000000000000000000000-" + SPAN + "-01", // all-zero trace id
      "00-" + TRACE + "-0000000000000000-01",                // all-zero span id
      "00-" + TRACE.substring(1) + "-" + SPAN + "-01",       // short trace id
      "00_" + TRACE + "-" + SPAN + "-01",                    // bad separator
      "00-" + TRACE + "-" + SPAN + "-0g",                    // bad flags
      "00-+" + TRACE.substring(1) + "-" + SPAN + "-01",      // a sign, which Long.parseUnsignedLong would take
      "00-" + TRACE + "-" + SPAN.substring(1) + "\u0660-01", // a non-ASCII digit (Arabic-Indic zero), likewise
    };
    for (String s : bad) {
      assertNull(TraceIds.parse(s), () -> "accepted " + s);
    }
  }

  @Test
  void formatsTheUpstreamTraceparentWithTheSamplingDecision() {
    assertEquals("00-" + TRACE + "-" + SPAN + "-01", TraceIds.traceparent(TRACE_HIGH, TRACE_LOW, SPAN_ID, true));
    assertEquals("00-" + TRACE + "-" + SPAN + "-00", TraceIds.traceparent(TRACE_HIGH, TRACE_LOW, SPAN_ID, false));
    assertFalse(TraceIds.parse(TraceIds.traceparent(TRACE_HIGH, TRACE_LOW, SPAN_ID, false)).sampled());
  }

  @Test
  void idsRoundTripThroughTheirHex() {
    assertEquals(TRACE, TelemetryFixtures.traceIdHex(TRACE_HIGH, TRACE_LOW));
    assertEquals(SPAN, TelemetryFixtures.spanIdHex(SPAN_ID));
    for (int i = 0; i < 1000; i++) {
      long high = TraceIds.newTraceIdHigh();
      long low = TraceIds.newTraceIdLow();
      long span = TraceIds.newSpanId();
      assertEquals(new TraceIds.Parent(high, low, span, true),
          TraceIds.parse(TraceIds.traceparent(high, low, span, true)));
    }
  }
}
