package io.oxllm.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/** OTLP's partial_success read by hand, checked against what opentelemetry-proto's classes write. */
class PartialSuccessTest {
  @Test
  void readsWhatTheProtoClassesWrite() {
    byte[] traces = ExportTraceServiceResponse.newBuilder().setPartialSuccess(ExportTracePartialSuccess.newBuilder()
        .setRejectedSpans(300).setErrorMessage("spans older than 1 h: dropped (ü)")).build().toByteArray();
    assertEquals(new PartialSuccess(300, "spans older than 1 h: dropped (ü)"), PartialSuccess.read(Buffer.buffer(traces)));
    byte[] metrics = ExportMetricsServiceResponse.newBuilder().setPartialSuccess(ExportMetricsPartialSuccess.newBuilder()
        .setErrorMessage("a warning, nothing rejected")).build().toByteArray();
    assertEquals(new PartialSuccess(0, "a warning, nothing rejected"), PartialSuccess.read(Buffer.buffer(metrics)));
  }

  @Test
  void noneEmptyOrGarbageIsNoPartialSuccess() {
    assertNull(PartialSuccess.read(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray())));
    assertNull(PartialSuccess.read(Buffer.buffer(ExportTraceServiceResponse.newBuilder()
        .setPartialSuccess(ExportTracePartialSuccess.getDefaultInstance()).build().toByteArray())), "all accepted");
    assertNull(PartialSuccess.read(Buffer.buffer("{\"partialSuccess\":{}}")));
    assertNull(PartialSuccess.read(Buffer.buffer(new byte[] {0x0a, 0x7f, 0x08})), "a length past the end");
    assertNull(PartialSuccess.read(Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xff})), "a varint cut short");
  }

  @Test
  void aCollectorsWordsAreOneLineOfAtMost256CharactersAndItsCountAtMostWhatWasSent() {
    byte[] hostile = ExportTraceServiceResponse.newBuilder().setPartialSuccess(ExportTracePartialSuccess.newBuilder()
        .setRejectedSpans(Long.MAX_VALUE).setErrorMessage("line one\nFAKE LOG LINE\u001b[31m" + "x".repeat(5000)))
        .build().toByteArray();
    PartialSuccess said = PartialSuccess.read(Buffer.buffer(hostile));
    assertEquals(PartialSuccess.MESSAGE_MAX + 1, said.message().length(), said.message());
    assertEquals(-1, said.message().indexOf('\n'));
    assertEquals(-1, said.message().indexOf('\u001b'));
    assertEquals(4096, said.atMost(4096).rejected());
    assertEquals(3, new PartialSuccess(3, "").atMost(4096).rejected());
  }
}
