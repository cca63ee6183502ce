// Package latarnia is a client of Latarnia, KSeF's public status service
// (a separate API from KSeF's own, without authentication), through which
// the Ministry of Finance announces maintenance and failures of KSeF:
// GET /status says whether KSeF is available now, GET /messages lists the
// announcements. Package offline turns them into offline modes and
// sending deadlines.
//
// The service's shape follows the official documentation and the official
// C# client (ksef-facts.md §11a); it is not part of KSeF's OpenAPI
// document. On TEST the service is reported to be a static stub.
package latarnia

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Base URLs of Latarnia.
const (
	// TestURL serves the TEST and DEMO environments.
	TestURL = "https://api-latarnia-test.ksef.mf.gov.pl"
	// ProductionURL serves the production environment.
	ProductionURL = "https://api-latarnia.ksef.mf.gov.pl"
)

// State is KSeF's availability as GET /status reports it.
type State string

// The states of KSeF.
const (
	// Available: KSeF works normally.
	Available State = "AVAILABLE"
	// Maintenance: planned unavailability (maintenance works) in progress.
	Maintenance State = "MAINTENANCE"
	// Failure: a declared failure of KSeF is in progress.
	Failure State = "FAILURE"
	// TotalFailure: a declared total failure is in progress.
	TotalFailure State = "TOTAL_FAILURE"
)

// Category is the kind of event a message is about.
type Category string

// The categories of messages.
const (
	CategoryFailure      Category = "FAILURE"
	CategoryTotalFailure Category = "TOTAL_FAILURE"
	CategoryMaintenance  Category = "MAINTENANCE"
)

// MessageType says what a message announces.
type MessageType string

// The types of messages.
const (
	FailureStart            MessageType = "FAILURE_START"
	FailureEnd              MessageType = "FAILURE_END"
	MaintenanceAnnouncement MessageType = "MAINTENANCE_ANNOUNCEMENT"
)

// ID is an identifier the service may write as a JSON string or number;
// it is kept as text.
type ID string

// UnmarshalJSON accepts a string or a number.
func (id *ID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*id = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("latarnia: identifier %s is neither a string nor a number", b)
	}
	*id = ID(n.String())
	return nil
}

// Message is one announcement.
type Message struct {
	// ID identifies the message; Version counts its revisions.
	ID ID `json:"id"`
	// EventID ties the messages of one event (its start and end) together.
	EventID ID `json:"eventId"`
	// Category is the kind of event.
	Category Category `json:"category"`
	// Type is what the message announces.
	Type MessageType `json:"type"`
	// Title and Text are the announcement in Polish.
	Title string `json:"title"`
	Text  string `json:"text"`
	// Start is when the event starts or started.
	Start time.Time `json:"start"`
	// End is when it ends or ended; nil when not known.
	End *time.Time `json:"end,omitempty"`
	// Version is the message's revision.
	Version ID `json:"version"`
	// Published is when the message was published.
	Published time.Time `json:"published"`
}

// Status is the answer of GET /status.
type Status struct {
	// Status is KSeF's state now.
	Status State `json:"status"`
	// Messages are the messages tied to the current state (none when KSeF
	// is fully available).
	Messages []Message `json:"messages,omitempty"`
}

// Options are the optional settings of [NewClient].
type Options struct {
	// HTTPClient sends the requests (default: a client of its own).
	HTTPClient *http.Client
	// Timeout bounds one attempt (default 10 s).
	Timeout time.Duration
	// Attempts is how often a request is tried when the answer is a 5xx,
	// 429 or a transport error (default 3); both operations are reads.
	Attempts int
}

// Client calls Latarnia. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	hc       *http.Client
	timeout  time.Duration
	attempts int
}

// NewClient returns a client of the service at baseURL ([TestURL],
// [ProductionURL], or a simulator's). opts may be nil.
func NewClient(baseURL string, opts *Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("latarnia: bad base URL %q", baseURL)
	}
	c := &Client{base: u, hc: &http.Client{}, timeout: 10 * time.Second, attempts: 3}
	if opts != nil {
		if opts.HTTPClient != nil {
			c.hc = opts.HTTPClient
		}
		if opts.Timeout > 0 {
			c.timeout = opts.Timeout
		}
		if opts.Attempts > 0 {
			c.attempts = opts.Attempts
		}
	}
	return c, nil
}

// BaseURL returns the service's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Status returns KSeF's state now and the messages tied to it.
//
// Latarnia API: GET /status
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if err := c.get(ctx, "/status", &st); err != nil {
		return nil, err
	}
	if st.Status == "" {
		return nil, errors.New("latarnia: GET /status: no status in the answer")
	}
	return &st, nil
}

// Messages returns every announcement the service publishes.
//
// Latarnia API: GET /messages
func (c *Client) Messages(ctx context.Context) ([]Message, error) {
	var ms []Message
	if err := c.get(ctx, "/messages", &ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// Error is a non-2xx answer of the service.
type Error struct {
	// Path is the path asked for.
	Path string
	// StatusCode is the HTTP status.
	StatusCode int
}

func (e *Error) Error() string {
	return fmt.Sprintf("latarnia: GET %s: HTTP %d %s", e.Path, e.StatusCode, http.StatusText(e.StatusCode))
}

// maxBody bounds an answer.
const maxBody = 4 << 20

func (c *Client) get(ctx context.Context, path string, v any) error {
	var last error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-time.After(time.Duration(attempt-1) * 300 * time.Millisecond):
			case <-ctx.Done():
				return errors.Join(last, ctx.Err())
			}
		}
		retry, err := c.once(ctx, path, v)
		if err == nil {
			return nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return last
}

func (c *Client) once(ctx context.Context, path string, v any) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+path, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return true, fmt.Errorf("latarnia: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests, &Error{Path: path, StatusCode: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return true, fmt.Errorf("latarnia: GET %s: reading the answer: %w", path, err)
	}
	if len(body) > maxBody {
		return false, fmt.Errorf("latarnia: GET %s: answer over %d bytes", path, maxBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return false, fmt.Errorf("latarnia: GET %s: %w", path, err)
	}
	return false, nil
}

// Latest returns the messages with only the highest version of each
// message ID kept, in their original order.
func Latest(ms []Message) []Message {
	best := map[ID]int{}
	for i, m := range ms {
		if j, ok := best[m.ID]; !ok || versionOf(m) > versionOf(ms[j]) {
			best[m.ID] = i
		}
	}
	var out []Message
	for i, m := range ms {
		if best[m.ID] == i {
			out = append(out, m)
		}
	}
	return out
}

func versionOf(m Message) int {
	n, _ := strconv.Atoi(string(m.Version))
	return n
}
