package ksefsim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// BaseURL returns the API base URL ("http://host:port/v2") of a simulator
// listening on addr.
func BaseURL(addr net.Addr) string {
	return "http://" + addr.String() + BasePath
}

// Serve serves the simulator on l until ctx is done, then shuts down
// gracefully (waiting at most 5 seconds for requests in flight).
func (s *Simulator) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
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
