// bench-sse: a small SSE load client for scripts/bench (standard library only, builds offline).
//
// Each of -c workers POSTs the chat body with "stream": true, reads the text/event-stream
// response incrementally and records the time to the first `data:` line (from the moment the
// request is sent), the total time, the number of data events and whether `data: [DONE]` was
// seen. It runs for -d (a duration) or until -n streams have been started, then prints one JSON
// object:
//
//	{"streams":…,"streams_per_sec":…,"ttfe_p50_us":…,"ttfe_p99_us":…,"total_p50_us":…,
//	 "total_p99_us":…,"events_total":…,"incomplete":…,"errors":…}
//
// Usage:
//
//	bench-sse -url http://127.0.0.1:8080/v1/chat/completions -c 64 -d 10s -body chat.json \
//	          -header x-mock-chunks:20 -header x-mock-gap-ms:5
//
// Slow readers (-read-rate N, bytes per second per stream): each of -c workers opens a stream
// and reads its body through a paced reader (reads of at most -read-size bytes, then a sleep
// so that the stream never gets ahead of N bytes/s since it started), so the client's TCP
// receive window fills and the server has to hold back. At -d every stream still open is cut
// (the client closes the connection); a stream that ends earlier is counted and replaced by a
// new one. -cut gives the same "hold for -d, then cut" behaviour without a rate limit. The
// JSON object then also holds "mode":"slow", read_rate, streams_cut, streams_ended,
// bytes_total, bytes_per_stream_{min,p50,max} and achieved_rate_bps (mean bytes/s per stream),
// and "incomplete" counts streams that ended before -d without [DONE]:
//
//	bench-sse -url http://127.0.0.1:8080/v1/chat/completions -c 200 -d 30s -read-rate 1024
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ",") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

const defaultBody = `{"model":"bench","messages":[{"role":"system","content":"You are a concise assistant."},` +
	`{"role":"user","content":"Explain in two sentences why an LLM gateway should stream tokens to the client as soon as they arrive."}],` +
	`"max_tokens":64,"temperature":0.2}`

type result struct {
	ttfe    time.Duration // 0 when no data event arrived
	total   time.Duration
	events  int64
	done    bool
	err     bool
	errText string
	bytes   int64 // body bytes received (counted in slow mode)
	cut     bool  // slow mode: still open at -d, closed by the client
}

// summary is the one JSON object printed at the end, in this field order.
type summary struct {
	Streams       int64   `json:"streams"`
	DurationS     float64 `json:"duration_s"`
	StreamsPerSec float64 `json:"streams_per_sec"`
	TtfeP50       int64   `json:"ttfe_p50_us"`
	TtfeP99       int64   `json:"ttfe_p99_us"`
	TotalP50      int64   `json:"total_p50_us"`
	TotalP99      int64   `json:"total_p99_us"`
	EventsTotal   int64   `json:"events_total"`
	Incomplete    int64   `json:"incomplete"`
	Errors        int64   `json:"errors"`
	FirstError    string  `json:"first_error,omitempty"`
	// slow mode (-read-rate / -cut) only
	Mode            string  `json:"mode,omitempty"`
	Concurrency     int     `json:"concurrency,omitempty"`
	ReadRate        *int64  `json:"read_rate,omitempty"` // 0: not paced (-cut)
	StreamsCut      *int64  `json:"streams_cut,omitempty"`
	StreamsEnded    *int64  `json:"streams_ended,omitempty"`
	BytesTotal      *int64  `json:"bytes_total,omitempty"`
	BytesMin        *int64  `json:"bytes_per_stream_min,omitempty"`
	BytesP50        *int64  `json:"bytes_per_stream_p50,omitempty"`
	BytesMax        *int64  `json:"bytes_per_stream_max,omitempty"`
	AchievedRateBps float64 `json:"achieved_rate_bps,omitempty"`
}

type stats struct {
	mu       sync.Mutex
	ttfe     []int64
	total    []int64
	events   int64
	streams  int64
	incompl  int64
	errors   int64
	firstErr string
	bytes    []int64 // per stream, slow mode
	cut      int64
}

func (s *stats) add(r result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams++
	s.events += r.events
	s.bytes = append(s.bytes, r.bytes)
	if r.cut {
		s.cut++
	}
	if r.err {
		s.errors++
		if s.firstErr == "" {
			s.firstErr = r.errText
		}
		return
	}
	if r.ttfe > 0 {
		s.ttfe = append(s.ttfe, r.ttfe.Microseconds())
	}
	s.total = append(s.total, r.total.Microseconds())
	// a stream cut at -d (slow mode) ended normally: only one that ended without [DONE] is incomplete
	if !r.done && !r.cut {
		s.incompl++
	}
}

func percentile(v []int64, p float64) int64 {
	if len(v) == 0 {
		return 0
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	idx := int(p/100*float64(len(v))+0.5) - 1
	if idx < 0 {
		idx = 0
	}
	if idx >= len(v) {
		idx = len(v) - 1
	}
	return v[idx]
}

// streamBody makes sure the body asks for a stream: "stream": true is set at the top level.
func streamBody(raw []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("-body is not a JSON object: %w", err)
	}
	s, ok := m["stream"]
	if ok && strings.TrimSpace(string(s)) == "true" {
		return raw, nil
	}
	if !ok {
		// keep the body as written (key order, spacing): insert the field after the opening brace
		i := bytes.IndexByte(raw, '{')
		out := append([]byte{}, raw[:i+1]...)
		out = append(out, []byte(`"stream":true,`)...)
		return append(out, raw[i+1:]...), nil
	}
	m["stream"] = json.RawMessage("true")
	return json.Marshal(m)
}

func oneStream(client *http.Client, url string, body []byte, headers http.Header) (r result) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return result{err: true, errText: err.Error()}
	}
	for k, vs := range headers {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return result{err: true, errText: err.Error(), total: time.Since(start)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return result{err: true, errText: fmt.Sprintf("status %d", resp.StatusCode), total: time.Since(start)}
	}
	readEvents(bufio.NewReaderSize(resp.Body, 16<<10), start, &r)
	r.total = time.Since(start)
	return r
}

// readEvents reads an SSE body line by line into r: time to the first data event, the event
// count, whether [DONE] came, and how the body ended (EOF, the slow mode's errCut, or an error).
func readEvents(br *bufio.Reader, start time.Time, r *result) {
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// a very long line: consume the rest of it; only its start matters here. Copy the
			// start first: ReadSlice's slice points into the buffer that ReadBytes refills.
			long := append([]byte{}, line...)
			rest, e2 := br.ReadBytes('\n')
			line = append(long, rest...)
			err = e2
		}
		if len(line) > 0 && bytes.HasPrefix(line, []byte("data:")) {
			if r.events == 0 {
				r.ttfe = time.Since(start)
			}
			r.events++
			if bytes.Equal(bytes.TrimSpace(line[5:]), []byte("[DONE]")) {
				r.done = true
			}
		}
		if err != nil {
			if errors.Is(err, errCut) {
				r.cut = true
			} else if err != io.EOF {
				r.err = true
				r.errText = err.Error()
			}
			return
		}
	}
}

// errCut ends a slow stream's body at the deadline: the normal end of a slow-mode stream.
var errCut = errors.New("cut at the deadline")

// pacedReader reads at most piece bytes per Read and sleeps before a read whenever the stream is
// ahead of rate bytes/s since start (rate <= 0: no pacing), so the bytes the client takes from its
// socket follow the rate and the TCP window closes when the server sends faster. It returns
// errCut once the deadline has passed.
type pacedReader struct {
	r        io.Reader
	rate     float64
	piece    int
	start    time.Time
	deadline time.Time
	n        int64
}

func (p *pacedReader) Read(b []byte) (int, error) {
	now := time.Now()
	if !now.Before(p.deadline) {
		return 0, errCut
	}
	if p.rate > 0 {
		due := p.start.Add(time.Duration(float64(p.n) / p.rate * float64(time.Second)))
		if due.After(now) {
			if due.After(p.deadline) {
				time.Sleep(p.deadline.Sub(now))
				return 0, errCut
			}
			time.Sleep(due.Sub(now))
		}
	}
	if len(b) > p.piece {
		b = b[:p.piece]
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	if err != nil && !time.Now().Before(p.deadline) && err != io.EOF {
		err = errCut // the request context expired while a read was blocked
	}
	return n, err
}

// oneSlowStream reads one stream through a pacedReader until it ends or the deadline cuts it.
func oneSlowStream(client *http.Client, url string, body []byte, headers http.Header, rate float64, piece int,
	deadline time.Time) (r result) {
	// the context closes the connection at the deadline even when a read is blocked (nothing sent)
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(50*time.Millisecond))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return result{err: true, errText: err.Error()}
	}
	for k, vs := range headers {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if !time.Now().Before(deadline) {
			return result{cut: true, total: time.Since(start)}
		}
		return result{err: true, errText: err.Error(), total: time.Since(start)}
	}
	// closing a body that was not read to its end closes the connection: the server sees the client leave
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return result{err: true, errText: fmt.Sprintf("status %d", resp.StatusCode), total: time.Since(start)}
	}
	pr := &pacedReader{r: resp.Body, rate: rate, piece: piece, start: start, deadline: deadline}
	readEvents(bufio.NewReaderSize(pr, 16<<10), start, &r)
	r.bytes = pr.n
	r.total = time.Since(start)
	return r
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/v1/chat/completions", "chat completions URL")
	conc := flag.Int("c", 64, "concurrent streams")
	dur := flag.Duration("d", 0, "run for this long (e.g. 10s); streams in flight at the end are finished")
	count := flag.Int("n", 0, "run this many streams in all (instead of -d)")
	bodyFile := flag.String("body", "", "file with the JSON chat body (\"stream\": true is added); default: a built-in ~300-byte body")
	timeout := flag.Duration("timeout", 60*time.Second, "per-stream timeout (not in slow mode: there -d bounds every stream)")
	readRate := flag.Int64("read-rate", 0, "slow readers: read each stream at most this many bytes/s, hold it open until -d, then cut it")
	readSize := flag.Int("read-size", 0, "slow readers: bytes per read (default: read-rate/4, between 1 and 4096)")
	cut := flag.Bool("cut", false, "hold each stream until -d and cut it then, without a rate limit (implied by -read-rate)")
	var hdrs headerList
	flag.Var(&hdrs, "header", "extra request header k:v (repeatable)")
	flag.Parse()

	if *conc < 1 {
		fmt.Fprintln(os.Stderr, "bench-sse: -c must be >= 1")
		os.Exit(2)
	}
	if *dur <= 0 && *count <= 0 {
		*dur = 10 * time.Second
	}
	slow := *readRate > 0 || *cut
	if *readRate < 0 {
		fmt.Fprintln(os.Stderr, "bench-sse: -read-rate must be >= 0")
		os.Exit(2)
	}
	if slow && *dur <= 0 {
		fmt.Fprintln(os.Stderr, "bench-sse: -read-rate and -cut need -d (streams are held open until then)")
		os.Exit(2)
	}
	piece := *readSize
	if piece <= 0 {
		piece = 4096
		if *readRate > 0 {
			piece = int(*readRate / 4)
			if piece < 1 {
				piece = 1
			}
			if piece > 4096 {
				piece = 4096
			}
		}
	}
	raw := []byte(defaultBody)
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-sse:", err)
			os.Exit(2)
		}
		raw = bytes.TrimSpace(b)
	}
	body, err := streamBody(raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-sse:", err)
		os.Exit(2)
	}
	headers := http.Header{}
	for _, h := range hdrs {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			fmt.Fprintf(os.Stderr, "bench-sse: -header %q is not k:v\n", h)
			os.Exit(2)
		}
		headers.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}

	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        *conc,
		MaxIdleConnsPerHost: *conc,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	client := &http.Client{Transport: tr, Timeout: *timeout}
	if slow {
		// the transport reads the socket through a buffer of this size: keep it near one paced
		// read, so the bytes taken from the socket are the bytes counted
		tr.ReadBufferSize = piece
		if tr.ReadBufferSize < 512 {
			tr.ReadBufferSize = 512
		}
		client.Timeout = 0 // each request's context ends at -d instead
	}

	var st stats
	var started int64
	var deadline time.Time
	start := time.Now()
	if *dur > 0 {
		deadline = start.Add(*dur)
	}
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if *count > 0 {
					if atomic.AddInt64(&started, 1) > int64(*count) {
						return
					}
				} else if !time.Now().Before(deadline) {
					return
				}
				if slow {
					st.add(oneSlowStream(client, *url, body, headers, float64(*readRate), piece, deadline))
					continue
				}
				st.add(oneStream(client, *url, body, headers))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	out := summary{
		Streams:       st.streams,
		DurationS:     round(elapsed.Seconds(), 3),
		StreamsPerSec: round(float64(st.streams)/elapsed.Seconds(), 1),
		TtfeP50:       percentile(st.ttfe, 50),
		TtfeP99:       percentile(st.ttfe, 99),
		TotalP50:      percentile(st.total, 50),
		TotalP99:      percentile(st.total, 99),
		EventsTotal:   st.events,
		Incomplete:    st.incompl,
		Errors:        st.errors,
		FirstError:    st.firstErr,
	}
	if slow {
		out.Mode = "slow"
		out.Concurrency = *conc
		out.ReadRate = readRate
		out.StreamsCut = &st.cut
		ended := st.streams - st.cut - st.errors
		var sum int64
		for _, b := range st.bytes {
			sum += b
		}
		mn, mx := int64(0), int64(0)
		if len(st.bytes) > 0 {
			sort.Slice(st.bytes, func(i, j int) bool { return st.bytes[i] < st.bytes[j] })
			mn, mx = st.bytes[0], st.bytes[len(st.bytes)-1]
		}
		p50 := percentile(st.bytes, 50)
		out.StreamsEnded, out.BytesTotal, out.BytesMin, out.BytesP50, out.BytesMax = &ended, &sum, &mn, &p50, &mx
		out.AchievedRateBps = round(float64(sum)/elapsed.Seconds()/float64(*conc), 1)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		os.Exit(1)
	}
}

func round(v float64, places int) float64 {
	p := 1.0
	for i := 0; i < places; i++ {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}
