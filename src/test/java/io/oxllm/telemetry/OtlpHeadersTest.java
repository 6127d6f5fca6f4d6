package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code OTEL_EXPORTER_OTLP_HEADERS} as the OpenTelemetry SDKs read it; what is not a header is left out, by name. */
class OtlpHeadersTest {
  @Test
  void pairsArePercentDecodedTrimmedAndKeptInOrder() {
    OtlpHeaders.Parsed p = OtlpHeaders.parse(" api-key = a%2Cb%3Dc , x-team=the%20team,,x-plus=1+1 ");
    assertEquals(List.of("api-key", "x-team", "x-plus"), List.copyOf(p.headers().keySet()));
    assertEquals(Map.of("api-key", "a,b=c", "x-team", "the team", "x-plus", "1+1"), p.headers());
    assertTrue(p.skipped().isEmpty(), p.skipped()::toString);
  }

  @Test
  void whatIsNotAHeaderIsLeftOutAndNamedButItsValueNeverShown() {
    OtlpHeaders.Parsed p = OtlpHeaders.parse("novalue,=x,bad name=1,ok=1,crlf=a%0D%0Ab,escape=%zz,"
        + "Content-Type=text/plain,host=evil");
    assertEquals(Map.of("ok", "1"), p.headers());
    assertEquals(List.of("entry 1", "entry 2", "entry 3", "crlf", "escape", "Content-Type", "host"), p.skipped());
    assertTrue(p.skipped().stream().noneMatch(s -> s.contains("evil") || s.contains("text/plain")), p.skipped()::toString);
  }

  @Test
  void unsetOrBlankGivesNone() {
    assertTrue(OtlpHeaders.fromEnvironment(name -> null).headers().isEmpty());
    assertTrue(OtlpHeaders.fromEnvironment(name -> "  ").headers().isEmpty());
    assertEquals(Map.of("k", "v"), OtlpHeaders.fromEnvironment(
        name -> name.equals(OtlpHeaders.VARIABLE) ? "k=v" : null).headers());
  }
}
