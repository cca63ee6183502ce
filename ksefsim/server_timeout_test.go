package ksefsim

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeClosesStalledBody opens a connection that sends the headers and
// part of a body, then stalls: the server answers and closes the
// connection once the body has been idle for BodyIdle, well before the
// test's own deadline. A slow body that keeps making progress is read to
// the end (the bound is on idleness, not on the total time).
func TestServeClosesStalledBody(t *testing.T) {
	// A pause of idle/4 between pieces leaves a loaded machine 750 ms of
	// scheduling delay before the body counts as idle.
	const idle = time.Second
	s := New(WithoutRateLimits(), WithServerTimeouts(ServerTimeouts{BodyIdle: idle, ReadHeader: 2 * time.Second, Write: 2 * time.Second, Idle: 2 * time.Second}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() { cancel(); <-done })

	send := func(chunks []string, pause time.Duration) (string, time.Duration) {
		t.Helper()
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		_ = conn.SetDeadline(start.Add(20 * time.Second))
		body := strings.Join(chunks, "")
		hdr := "POST " + BasePath + "/auth/xades-signature HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: " +
			strconv.Itoa(len(body)+100) + "\r\n\r\n"
		if pause == 0 {
			// Stalled: less body than announced, then nothing.
			hdr = strings.Replace(hdr, strconv.Itoa(len(body)+100), strconv.Itoa(len(body)+1000), 1)
		} else {
			hdr = strings.Replace(hdr, strconv.Itoa(len(body)+100), strconv.Itoa(len(body)), 1)
		}
		if _, err := io.WriteString(conn, hdr); err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			if _, err := io.WriteString(conn, c); err != nil {
				t.Fatal(err)
			}
			time.Sleep(pause)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no response: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The server closes the connection after a stalled body.
		if pause == 0 {
			if _, err := conn.Read(make([]byte, 1)); err != io.EOF {
				t.Errorf("connection still open after the response: %v", err)
			}
		}
		return resp.Status + " " + string(b), time.Since(start)
	}

	got, took := send([]string{"<AuthTokenRequest"}, 0)
	if took > 5*idle || took < idle {
		t.Errorf("stalled body answered after %v, want about %v", took, idle)
	}
	if !strings.Contains(got, "21001") {
		t.Errorf("stalled body: %s", got)
	}
	// Progress every idle/4, six times: longer than BodyIdle in total,
	// never idle for BodyIdle; the document is read (and refused by the
	// XSD reader, not cut off).
	got, took = send([]string{"<Auth", "Token", "Request", " xmlns=", "'urn:x'", "/>"}, idle/4)
	if took < idle || !strings.Contains(got, "21401") {
		t.Errorf("slow but steady body (%v): %s", took, got)
	}
}
