package ksefsim

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
)

// BaseURL returns the API base URL ("http://host:port/v2") of a simulator
// listening on addr.
func BaseURL(addr net.Addr) string {
	return "http://" + addr.String() + BasePath
}

// ServerTimeouts bound how long [Simulator.Serve] waits for a client.
//
// The request body has an idle bound rather than a total one
// (http.Server.ReadTimeout), so that a large upload that keeps making
// progress (batch parts, later) is never cut off, while a client that
// stops sending is. For the same reason there is no total write timeout
// (http.Server.WriteTimeout counts from the end of the request headers, so
// it would bound uploads too): the write deadline is kept Write ahead of
// the last body read.
type ServerTimeouts struct {
	// ReadHeader bounds reading the request line and headers.
	ReadHeader time.Duration
	// BodyIdle is the longest the request body may stall between two
	// reads; a connection that sends nothing for longer is closed.
	BodyIdle time.Duration
	// Write bounds writing the response, counted from the last read of
	// the request body (or from the start of the handler).
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next
	// request.
	Idle time.Duration
}

// DefaultServerTimeouts returns the timeouts used unless
// [WithServerTimeouts] says otherwise: 10 s for the headers, 30 s of body
// idleness, 60 s to write a response and 120 s of keep-alive idleness.
func DefaultServerTimeouts() ServerTimeouts {
	return ServerTimeouts{ReadHeader: 10 * time.Second, BodyIdle: 30 * time.Second, Write: 60 * time.Second, Idle: 120 * time.Second}
}

// WithServerTimeouts sets the timeouts of [Simulator.Serve] and
// [Simulator.ListenAndServe]; zero fields keep their defaults. They do not
// apply when the simulator runs as a plain http.Handler in another server.
func WithServerTimeouts(t ServerTimeouts) Option {
	return func(c *config) {
		d := &c.timeouts
		for _, f := range []struct {
			dst *time.Duration
			v   time.Duration
		}{
			{&d.ReadHeader, t.ReadHeader}, {&d.BodyIdle, t.BodyIdle}, {&d.Write, t.Write}, {&d.Idle, t.Idle},
		} {
			if f.v > 0 {
				*f.dst = f.v
			}
		}
	}
}

// Serve serves the simulator on l until ctx is done, then shuts down
// gracefully (waiting at most 5 seconds for requests in flight). The
// connections are bounded by the [ServerTimeouts] of the simulator.
func (s *Simulator) Serve(ctx context.Context, l net.Listener) error {
	t := s.cfg.timeouts
	srv := &http.Server{
		Handler:           withBodyDeadlines(s, t),
		ReadHeaderTimeout: t.ReadHeader,
		IdleTimeout:       t.Idle,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
}

// ListenAndServe listens on addr (e.g. "127.0.0.1:8080") and serves the
// simulator until ctx is done. The API base URL is
// "http://" + addr + "/v2"; to learn the port of ":0", listen yourself and
// call [Simulator.Serve] and [BaseURL].
func (s *Simulator) ListenAndServe(ctx context.Context, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, l)
}

// withBodyDeadlines sets the connection's read deadline BodyIdle ahead
// before every read of the request body (and when the handler starts, which
// also bounds the server's draining of an unread body), and keeps the write
// deadline Write ahead of it.
func withBodyDeadlines(h http.Handler, t ServerTimeouts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := &idleBody{ReadCloser: r.Body, rc: http.NewResponseController(w), t: t}
		b.extend()
		r.Body = b
		h.ServeHTTP(w, r)
	})
}

type idleBody struct {
	io.ReadCloser
	rc *http.ResponseController
	t  ServerTimeouts
}

func (b *idleBody) extend() {
	now := time.Now()
	_ = b.rc.SetReadDeadline(now.Add(b.t.BodyIdle))
	_ = b.rc.SetWriteDeadline(now.Add(b.t.BodyIdle + b.t.Write))
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.extend()
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		// The body is complete: what remains is writing the response.
		_ = b.rc.SetWriteDeadline(time.Now().Add(b.t.Write))
	}
	return n, err
}
