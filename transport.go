package ksef

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits on the bodies the client reads into memory.
const (
	maxResponseBody = 64 << 20
	maxErrorBody    = 1 << 20
)

// request describes one API call for [Client.do]. Services in this package
// build one per SDK method from the operation table and pass it to [call]
// (JSON responses) or to do:
//
//	out, err := call[AuthenticationChallengeResponse](ctx, c, &request{op: OpAuthChallenge})
//
// The method, the path template, the authorisation and the retry safety
// come from op's entry in the operation table; "{name}" placeholders of the
// path are replaced, in order, by the escaped pathArgs. The template (never
// the filled-in path or a pre-signed URL) is what appears in logs.
type request struct {
	op       Operation
	pathArgs []string
	query    url.Values
	header   http.Header

	// body is encoded as JSON when non-nil. rawBody (with contentType) is
	// sent as is instead. bodyFunc supplies a fresh body per attempt for
	// streamed uploads (with contentLength, -1 if unknown).
	body          any
	rawBody       []byte
	contentType   string
	bodyFunc      func() (io.ReadCloser, error)
	contentLength int64

	// bearer is the token of AuthOperationToken operations (the
	// authentication operation token or the refresh token).
	bearer Secret

	// out receives the decoded JSON of a 2xx response.
	out any
	// stream leaves the 2xx body unread in response.body (caller closes).
	stream bool
	// absURL, when set, is a full URL (e.g. pre-signed) used instead of
	// the base URL + path, with method and no authorization; it is never
	// logged. Such requests are not operations of the table: only GET,
	// HEAD and PUT are repeated.
	absURL string
	method string
	// accept sets the Accept header (default application/json).
	accept string
}

// response is the result of [Client.do] for a 2xx status.
type response struct {
	statusCode int
	header     http.Header
	// raw is the body (unless request.stream).
	raw []byte
	// body is the unread body when request.stream is set.
	body io.ReadCloser
}

// info returns the table entry of the request's operation; for a request
// to an absolute (pre-signed) URL, an entry with its method, no
// authorization and retry safety for GET, HEAD and PUT (a pre-signed PUT
// writes the same bytes to the same blob).
func (r *request) info() OperationInfo {
	if r.absURL != "" {
		return OperationInfo{Method: r.method, Auth: AuthNone, RetrySafe: r.method == http.MethodGet || r.method == http.MethodHead || r.method == http.MethodPut}
	}
	return r.op.Info()
}

// logPath is the path shown in logs and errors.
func (r *request) logPath() string {
	if r.absURL != "" {
		return "(pre-signed URL)"
	}
	return r.op.Info().Path
}

func (c *Client) buildURL(r *request) (string, error) {
	if r.absURL != "" {
		return r.absURL, nil
	}
	tmpl := r.op.Info().Path
	if tmpl == "" {
		return "", fmt.Errorf("ksef: unknown operation %d", r.op)
	}
	p := tmpl
	args := r.pathArgs
	var b strings.Builder
	for {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			b.WriteString(p)
			break
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("ksef: bad path template %q", tmpl)
		}
		if len(args) == 0 {
			return "", fmt.Errorf("ksef: missing argument for %s in %q", p[i:i+j+1], tmpl)
		}
		if args[0] == "" {
			return "", fmt.Errorf("ksef: %s: empty %s", tmpl, p[i+1:i+j])
		}
		b.WriteString(p[:i])
		b.WriteString(url.PathEscape(args[0]))
		args = args[1:]
		p = p[i+j+1:]
	}
	u := *c.cfg.baseURL
	escaped := u.EscapedPath() + b.String()
	unescaped, err := url.PathUnescape(escaped)
	if err != nil {
		return "", fmt.Errorf("ksef: bad path %q: %w", tmpl, err)
	}
	u.Path, u.RawPath = unescaped, escaped
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	return u.String(), nil
}

// do performs r with retries (see [RetryPolicy]), returning the 2xx
// response or an error: *APIError for an HTTP error status, the context's
// error when ctx ends, or a "ksef:" error for transport failures.
//
// What is repeated comes from the operation table: a 429 always (KSeF's
// limiter refuses before processing), a connection that could not be made
// always, and a 502/503/504, a dropped connection or a timeout only for
// operations marked RetrySafe. For the other (state-changing) operations
// such a failure returns an *[OutcomeUnknownError] instead.
func (c *Client) do(ctx context.Context, r *request) (*response, error) {
	info := r.info()
	target, err := c.buildURL(r)
	if err != nil {
		return nil, err
	}
	var payload []byte
	switch {
	case r.body != nil:
		payload, err = json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("ksef: encode %s %s: %w", info.Method, info.Path, err)
		}
	case r.rawBody != nil:
		payload = r.rawBody
	}
	pol := c.cfg.retry
	refreshed := false
	var token Secret
	// unknown wraps a failure of a request that may have been processed.
	unknown := func(err error) error {
		if info.RetrySafe || r.absURL != "" {
			return err
		}
		return outcomeUnknown(r.op, err)
	}
	for attempt := 1; ; attempt++ {
		switch info.Auth {
		case AuthAccessToken:
			if c.cfg.auth != nil {
				token, err = c.cfg.auth.AccessToken(ctx)
				if err != nil {
					return nil, err
				}
			}
		case AuthOperationToken:
			token = r.bearer
		default:
			token = ""
		}
		pacedDone, err := c.pace(ctx, r)
		if err != nil {
			return nil, err
		}
		actx, cancel := context.WithCancel(ctx)
		req, err := c.newHTTPRequest(actx, r, target, payload, token)
		if err != nil {
			pacedDone()
			cancel()
			return nil, err
		}
		start := time.Now()
		resp, err := c.cfg.httpClient.Do(req)
		pacedDone() // KSeF counted the request (if at all) before it answered
		dur := time.Since(start)
		if err != nil {
			cancel()
			sent := !notSent(err)
			err = sanitizeTransportError(err)
			c.logAttempt(ctx, r, 0, dur, attempt, err)
			if ctxErr := ctx.Err(); ctxErr != nil {
				if sent {
					return nil, unknown(ctxErr)
				}
				return nil, ctxErr
			}
			if (info.RetrySafe || !sent) && attempt < pol.MaxAttempts {
				if err := sleep(ctx, backoff(pol, attempt)); err != nil {
					return nil, err
				}
				continue
			}
			err = fmt.Errorf("ksef: %s %s: %w", info.Method, r.logPath(), err)
			if sent {
				return nil, unknown(err)
			}
			return nil, err
		}
		resp.Body = newIdleBody(resp.Body, c.cfg.bodyIdleTimeout, cancel)
		secrets := c.requestSecrets(ctx, r, token)
		c.logAttempt(ctx, r, resp.StatusCode, dur, attempt, nil)
		c.handleWarnings(ctx, r, resp.Header, secrets)

		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			out, err := c.readSuccess(r, resp)
			if err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					err = ctxErr
				}
				// The request was processed; its answer was lost.
				return nil, unknown(err)
			}
			return out, nil
		}
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		if rerr != nil {
			if ctx.Err() != nil {
				rerr = ctx.Err()
			}
			err := fmt.Errorf("ksef: %s %s: %d %s: read error body: %w", info.Method, r.logPath(), resp.StatusCode, http.StatusText(resp.StatusCode), sanitizeTransportError(rerr))
			if ambiguousStatus(resp.StatusCode) {
				return nil, unknown(err)
			}
			return nil, err
		}
		body = redactBytes(body, secrets)
		apiErr := decodeAPIError(resp.StatusCode, resp.Header, body)
		apiErr.Method = info.Method
		apiErr.Path = r.logPath()

		if resp.StatusCode == http.StatusUnauthorized && info.Auth == AuthAccessToken && c.cfg.auth != nil && !refreshed {
			refreshed = true
			_, rerr := c.cfg.auth.Refresh(ctx, token)
			if rerr == nil {
				attempt-- // the refresh retry does not count
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// both the 401 and the refresh failure (e.g. ErrRefreshExpired)
			// match with errors.Is / errors.As
			return nil, fmt.Errorf("%w; %w", apiErr, rerr)
		}
		delay := apiErr.RetryAfter
		if resp.StatusCode == http.StatusTooManyRequests && delay > 0 && c.cfg.pacer != nil {
			c.cfg.pacer.block(info.Group, time.Now().Add(delay))
		}
		if resp.StatusCode != http.StatusTooManyRequests && ambiguousStatus(resp.StatusCode) && !info.RetrySafe {
			return nil, unknown(apiErr)
		}
		if !retryableStatus(resp.StatusCode, info.RetrySafe) || attempt >= pol.MaxAttempts {
			return nil, apiErr
		}
		if delay > pol.MaxDelay {
			// KSeF blocks can last an hour; waiting less than asked would
			// only extend the block, so hand the decision to the caller.
			return nil, apiErr
		}
		if delay <= 0 {
			delay = backoff(pol, attempt)
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

func (c *Client) newHTTPRequest(ctx context.Context, r *request, target string, payload []byte, token Secret) (*http.Request, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	method := r.info().Method
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("ksef: %s %s: %w", method, r.logPath(), sanitizeTransportError(err))
	}
	if r.bodyFunc != nil {
		rc, err := r.bodyFunc()
		if err != nil {
			return nil, fmt.Errorf("ksef: %s %s: open body: %w", method, r.logPath(), err)
		}
		req.Body = rc
		req.GetBody = r.bodyFunc
		req.ContentLength = r.contentLength
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.absURL == "" {
		for k, v := range c.cfg.headers {
			req.Header[k] = append(req.Header[k], v...)
		}
		req.Header.Set("User-Agent", c.cfg.userAgent)
		accept := r.accept
		if accept == "" {
			accept = "application/json"
		}
		req.Header.Set("Accept", accept)
		if c.cfg.problemDetails {
			req.Header.Set("X-Error-Format", "problem-details")
		}
	}
	switch {
	case r.contentType != "":
		req.Header.Set("Content-Type", r.contentType)
	case r.body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token.Reveal())
	}
	return req, nil
}

func (c *Client) readSuccess(r *request, resp *http.Response) (*response, error) {
	out := &response{statusCode: resp.StatusCode, header: resp.Header}
	if r.stream {
		out.body = resp.Body
		return out, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, fmt.Errorf("ksef: %s %s: read body: %w", r.info().Method, r.logPath(), sanitizeTransportError(err))
	}
	out.raw = raw
	if r.out != nil {
		if len(bytes.TrimSpace(raw)) == 0 {
			return nil, fmt.Errorf("ksef: %s %s: empty response body", r.info().Method, r.logPath())
		}
		if err := json.Unmarshal(raw, r.out); err != nil {
			return nil, fmt.Errorf("ksef: %s %s: decode response: %w", r.info().Method, r.logPath(), err)
		}
	}
	return out, nil
}

func (c *Client) logAttempt(ctx context.Context, r *request, status int, dur time.Duration, attempt int, err error) {
	l := c.cfg.logger
	if !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.info().Method),
		slog.String("path", r.logPath()),
		slog.Int("status", status),
		slog.Duration("duration", dur),
		slog.Int("attempt", attempt),
	}
	if len(r.pathArgs) > 0 && r.absURL == "" {
		attrs = append(attrs, slog.Any("pathArgs", r.pathArgs))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", SanitizeText(err.Error())))
	}
	l.LogAttrs(ctx, slog.LevelDebug, "ksef http", attrs...)
}

// sanitizeTransportError strips the URL from *url.Error, since a pre-signed
// URL carries a credential in its query string.
func sanitizeTransportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retryableStatus reports whether status may be retried: 429 always (KSeF
// refuses before processing), 502, 503 and 504 only for operations the
// operation table marks safe to repeat.
func retryableStatus(status int, retrySafe bool) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return retrySafe
	}
	return false
}

// backoff returns a full-jitter exponential delay for the given attempt
// (1-based): uniform in [0, min(MaxDelay, BaseDelay·2^(attempt-1))].
func backoff(p RetryPolicy, attempt int) time.Duration {
	base := p.BaseDelay
	if base <= 0 {
		base = defaultBaseDelay
	}
	ceiling := p.MaxDelay
	if ceiling <= 0 {
		ceiling = defaultMaxDelay
	}
	d := base
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter parses a Retry-After value: delay seconds or an HTTP
// date (relative to now). It returns 0 when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		if n > int64(365*24*time.Hour/time.Second) {
			n = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return 0
}

// call performs r and decodes its JSON response into a new T.
func call[T any](ctx context.Context, c *Client, r *request) (*T, error) {
	out := new(T)
	r.out = out
	if _, err := c.do(ctx, r); err != nil {
		return nil, err
	}
	return out, nil
}

// pagesByToken iterates over the items of an operation paged with
// continuation tokens (PagingContinuationToken): fetch gets the page for a
// token ("" for the first page) and returns its items and the token of the
// next page ("" at the end). On error it yields the error once and stops; a
// token repeated by the server also ends the iteration.
func pagesByToken[T any](ctx context.Context, first string, fetch func(ctx context.Context, token string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		token := first
		for {
			items, next, err := fetch(ctx, token)
			if !yieldPage(yield, items, err) {
				return
			}
			if next == "" || next == token {
				return
			}
			token = next
		}
	}
}

// yieldPage yields err alone or else the items of one page, and reports
// whether the iteration goes on.
func yieldPage[T any](yield func(T, error) bool, items []T, err error) bool {
	if err != nil {
		var zero T
		yield(zero, err)
		return false
	}
	for _, it := range items {
		if !yield(it, nil) {
			return false
		}
	}
	return true
}

// pagesByOffset iterates over the items of an operation paged with
// pageOffset/pageSize (PagingOffset): fetch gets the page at offset and
// returns its items and the response's hasMore. Offsets count pages, as
// KSeF's pageOffset does. On error it yields the error once and stops; an
// empty page also ends the iteration.
func pagesByOffset[T any](ctx context.Context, first int, fetch func(ctx context.Context, offset int) ([]T, bool, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for offset := first; ; offset++ {
			items, more, err := fetch(ctx, offset)
			if !yieldPage(yield, items, err) {
				return
			}
			if !more || len(items) == 0 {
				return
			}
		}
	}
}
