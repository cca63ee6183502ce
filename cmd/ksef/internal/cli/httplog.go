package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
)

// httpRecorder is the slog.Handler of the SDK clients the commands make:
// it remembers the last HTTP exchange the SDK logged (method, path
// template, status), so that a command stopped by --timeout can say what
// it was waiting for, and passes records on to next (--verbose) if any.
// The SDK logs path templates, never tokens or pre-signed URLs.
//
// Without --verbose it also prints KSeF's X-System-Warning messages, which
// the SDK logs at Warn level, to warn (escaped, see [Sanitize]).
type httpRecorder struct {
	next  slog.Handler // nil without --verbose
	warn  io.Writer    // where warnings go without --verbose
	state *httpState
}

type httpState struct {
	mu       sync.Mutex
	requests int
	last     string
}

func (h *httpRecorder) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelDebug
}

func (h *httpRecorder) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "ksef http" {
		var method, path string
		var status int64
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "method":
				method = a.Value.String()
			case "path":
				path = a.Value.String()
			case "status":
				status = a.Value.Int64()
			}
			return true
		})
		last := fmt.Sprintf("%s %s", method, path)
		if status > 0 {
			last += fmt.Sprintf(" (HTTP %d)", status)
		} else {
			last += " (no response)"
		}
		h.state.mu.Lock()
		h.state.requests++
		h.state.last = last
		h.state.mu.Unlock()
	}
	if h.next != nil {
		if h.next.Enabled(ctx, r.Level) {
			return h.next.Handle(ctx, r)
		}
		return nil
	}
	if r.Message == "ksef system warning" && h.warn != nil {
		a := map[string]string{}
		r.Attrs(func(at slog.Attr) bool {
			a[at.Key] = at.Value.String()
			return true
		})
		msg := a["message"]
		if a["code"] != "" {
			msg = "[" + a["code"] + "] " + msg
		}
		fmt.Fprintln(h.warn, Sanitize(fmt.Sprintf("ksef: warning from KSeF (%s %s): %s", a["method"], a["path"], msg)))
	}
	return nil
}

func (h *httpRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	if h.next != nil {
		c.next = h.next.WithAttrs(attrs)
	}
	return &c
}

func (h *httpRecorder) WithGroup(name string) slog.Handler {
	c := *h
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}

// lastExchange describes the last HTTP exchange logged, or "" when none.
func (s *httpState) lastExchange() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.requests == 0 {
		return ""
	}
	return fmt.Sprintf("last request %s, %d request(s) in all", s.last, s.requests)
}
