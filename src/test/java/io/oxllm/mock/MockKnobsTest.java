package io.oxllm.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.mock.MockKnobs.Fault;
import io.oxllm.mock.MockKnobs.Fault.Kind;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

/** Knob parsing shared by the flags and the x-mock-* headers. */
class MockKnobsTest {
  @Test
  void faultsParseWithTheirCounts() {
    assertEquals(Fault.NONE, Fault.parse("none"));
    assertEquals(new Fault(Kind.CUT, 3), Fault.parse("cut:3"));
    assertEquals(new Fault(Kind.STALL, 0), Fault.parse(" STALL:0 "));
    assertEquals(Kind.ERROR_FIRST, Fault.parse("error-first").kind());
    assertEquals(Kind.NO_DONE, Fault.parse("no-done").kind());
    assertEquals("cut:3", Fault.parse("cut:3").toString());
    assertThrows(IllegalArgumentException.class, () -> Fault.parse("cut"));
    assertThrows(IllegalArgumentException.class, () -> Fault.parse("hang:2"));
    assertThrows(IllegalArgumentException.class, () -> Fault.parse("cut:x"));
    assertThrows(IllegalArgumentException.class, () -> Fault.parse("explode"));
  }

  @Test
  void knobsAreValidated() {
    MockKnobs k = MockKnobs.DEFAULTS.with("ttft-ms", "40").with("fail-rate", "0.25").with("retry-after", "3");
    assertEquals(40, k.ttftMs());
    assertEquals(0.25, k.failRate());
    assertEquals("3", k.retryAfter());
    assertThrows(IllegalArgumentException.class, () -> k.with("chunks", "0"));
    assertThrows(IllegalArgumentException.class, () -> k.with("fail-rate", "1.5"));
    assertThrows(IllegalArgumentException.class, () -> k.with("fail-rate", "NaN"));
    assertThrows(IllegalArgumentException.class, () -> k.with("fail-status", "700"));
    // an interim status sent as the answer left a client waiting for the real one
    assertThrows(IllegalArgumentException.class, () -> k.with("fail-status", "102"));
    assertEquals(200, k.with("fail-status", "200").failStatus());
    assertThrows(IllegalArgumentException.class, () -> k.with("size", "-1"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.with("speed", "1"));
    assertTrue(e.getMessage().contains("ttft-ms"), e.getMessage());
  }

  @Test
  void headersOverrideAndNoHeadersMeansTheSameObject() {
    MultiMap none = MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json");
    assertSame(MockKnobs.DEFAULTS, MockKnobs.DEFAULTS.withHeaders(none));
    MultiMap some = MultiMap.caseInsensitiveMultiMap().add("X-Mock-Chunks", "3").add("x-mock-fault", "stall:1");
    MockKnobs k = MockKnobs.DEFAULTS.withHeaders(some);
    assertEquals(3, k.chunks());
    assertEquals(new Fault(Kind.STALL, 1), k.fault());
    assertEquals(MockKnobs.DEFAULTS.gapMs(), k.gapMs());
    MultiMap bad = MultiMap.caseInsensitiveMultiMap().add("x-mock-gap-ms", "soon");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MockKnobs.DEFAULTS.withHeaders(bad));
    assertTrue(e.getMessage().startsWith("header x-mock-gap-ms"), e.getMessage());
  }
}
