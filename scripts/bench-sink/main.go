// bench-sink: the OTLP/HTTP collector stand-in for `scripts/bench --telemetry` (standard library
// only, builds offline). It reads each export request's body, counts it and drops it, and answers
// 200 with an empty protobuf body (a valid ExportTraceServiceResponse and
// ExportMetricsServiceResponse).
//
// Why not the Java mock's sink: the collector shares the load generators' core, and a real one
// runs on another host. The mock's JVM took 1-2 µs of that core per gateway request to take in
// its spans, about as much as telemetry costs the gateway, and so slowed the load generators in
// live mode only; this takes about 0.2 µs, most of it the kernel's copy of the bytes.
//
//	POST /v1/traces, /v1/metrics  read, count, drop; 200, Content-Type application/x-protobuf
//	GET  /healthz                 200 {"status":"ok"}
//	GET  /mock/stats              {"otlp_exports":N,"otlp_bytes":N} (as the Java mock names them)
//
// Usage: bench-sink -host 127.0.0.1 -port 19092; prints "bench-sink listening on http://…" once
// it accepts connections.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 19092, "port to listen on")
	flag.Parse()

	var exports, received atomic.Int64
	// read buffers reused between requests: an export is a megabyte or more, read in pieces
	buffers := sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

	mux := http.NewServeMux()
	export := func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		b := buffers.Get().(*[]byte)
		var n int64
		for {
			k, err := r.Body.Read(*b)
			n += int64(k)
			if err != nil {
				break
			}
		}
		buffers.Put(b)
		exports.Add(1)
		received.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}
	mux.HandleFunc("/v1/traces", export)
	mux.HandleFunc("/v1/metrics", export)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("/mock/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"otlp_exports":%d,"otlp_bytes":%d}`, exports.Load(), received.Load())
	})

	addr := net.JoinHostPort(*host, strconv.Itoa(*port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-sink:", err)
		os.Exit(1)
	}
	fmt.Printf("bench-sink listening on http://%s\n", addr)
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, "bench-sink:", err)
		os.Exit(1)
	}
}
