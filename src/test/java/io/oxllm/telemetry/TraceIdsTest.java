package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** W3C traceparent parsing and id generation. */
class TraceIdsTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN = "00f067aa0ba902b7";

  @Test
  void newIdsAreLowercaseHexOfTheRightLengthAndDiffer() {
    String t = TraceIds.newTraceId();
    String s = TraceIds.newSpanId();
    assertTrue(t.matches("[0-9a-f]{32}"), t);
    assertTrue(s.matches("[0-9a-f]{16}"), s);
    assertNotEquals(t, TraceIds.newTraceId());
    assertNotEquals(s, TraceIds.newSpanId());
  }

  @Test
  void parsesAValidTraceparent() {
    TraceIds.Parent p = TraceIds.parse("00-" + TRACE + "-" + SPAN + "-01");
    assertEquals(new TraceIds.Parent(TRACE, SPAN, true), p);
    assertFalse(TraceIds.parse("00-" + TRACE + "-" + SPAN + "-00").sampled());
  }

  @Test
  void aLaterVersionMayCarryMoreFields() {
    assertEquals(TRACE, TraceIds.parse("01-" + TRACE + "-" + SPAN + "-01-extra").traceId());
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
    };
    for (String s : bad) {
      assertNull(TraceIds.parse(s), () -> "accepted " + s);
    }
  }

  @Test
  void formatsTheUpstreamTraceparentWithTheSamplingDecision() {
    assertEquals("00-" + TRACE + "-" + SPAN + "-01", TraceIds.traceparent(TRACE, SPAN, true));
    assertEquals("00-" + TRACE + "-" + SPAN + "-00", TraceIds.traceparent(TRACE, SPAN, false));
    assertFalse(TraceIds.parse(TraceIds.traceparent(TRACE, SPAN, false)).sampled());
  }

  @Test
  void decodesIdsToTheirBytesAndRefusesWhatIsNotAnId() {
    byte[] id = new byte[16];
    assertTrue(TraceIds.decode(TRACE, 32, id));
    assertEquals(TRACE, java.util.HexFormat.of().formatHex(id));
    assertTrue(TraceIds.decode(SPAN, 16, id));
    assertEquals(SPAN, java.util.HexFormat.of().formatHex(id, 0, 8));
    String[] bad = {null, "", SPAN, TRACE.toUpperCase(), "0".repeat(32), TRACE.substring(1) + "g",
        TRACE.substring(1) + "\u0130", TRACE.substring(1) + "\u0161"}; // İ, š: past 0xFF, their low bytes are "0" and "a"
    for (String s : bad) {
      assertFalse(TraceIds.decode(s, 32, id), () -> "decoded " + s);
    }
  }
}
