package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The OTel-to-Prometheus naming and number rules. */
class PrometheusFormatTest {
  @Test
  void dotsBecomeUnderscoresAndUnitsBecomeSuffixes() {
    assertEquals("gen_ai_client_operation_duration_seconds", PrometheusFormat.name("gen_ai.client.operation.duration", "s"));
    assertEquals("gen_ai_client_token_usage", PrometheusFormat.name("gen_ai.client.token.usage", "{token}"));
    assertEquals("oxllm_provider_state", PrometheusFormat.name("oxllm.provider.state", "1"));
    assertEquals("a_b_bytes", PrometheusFormat.name("a-b", "By"));
    assertEquals("x_seconds", PrometheusFormat.name("x.seconds", "s"), "no doubled suffix");
    assertEquals("_9lives", PrometheusFormat.sanitize("9lives"), "a name cannot start with a digit");
  }

  @Test
  void numbersAreIntegersWhenWholeAndSpecialValuesAreSpelledOut() {
    assertEquals("16", PrometheusFormat.number(16.0));
    assertEquals("0.01", PrometheusFormat.number(0.01));
    assertEquals("+Inf", PrometheusFormat.number(Double.POSITIVE_INFINITY));
    assertEquals("NaN", PrometheusFormat.number(Double.NaN));
  }
}
