package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// Client asks a daemon's API.
type Client struct {
	listen string // as announced: host:port or unix:PATH
	base   string
	http   *http.Client
}

// NewClient returns a client of the API at listen (host:port or
// unix:PATH). Close it when done.
func NewClient(listen string) *Client {
	tr := &http.Transport{}
	base := "http://" + listen
	if path, ok := strings.CutPrefix(listen, unixPrefix); ok {
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "unix", path) }
		base = "http://logcause"
	}
	return &Client{listen: listen, base: base, http: &http.Client{Transport: tr}}
}

// Listen is the address the client asks.
func (c *Client) Listen() string { return c.listen }

// Close closes the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Status returns the daemon's status.
func (c *Client) Status(ctx context.Context) (daemon.Status, error) {
	var st daemon.Status
	return st, c.get(ctx, "/api/v1/status", &st)
}

// Report returns the daemon's analysis of [since, until) of its store
// (zero: the store's ends).
func (c *Client) Report(ctx context.Context, since, until time.Time) (analyze.Result, error) {
	q := url.Values{"format": {"json"}}
	if !since.IsZero() {
		q.Set("since", since.Format(time.RFC3339Nano))
	}
	if !until.IsZero() {
		q.Set("until", until.Format(time.RFC3339Nano))
	}
	var res analyze.Result
	return res, c.get(ctx, "/api/v1/report?"+q.Encode(), &res)
}

// get decodes the JSON answer of path into v.
func (c *Client) get(ctx context.Context, path string, v any) error {
	fail := func(err error) error {
		return fmt.Errorf("cannot ask the daemon at %s: %w", c.listen, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fail(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e apiError
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = resp.Status
		}
		return fail(errors.New(e.Error))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fail(fmt.Errorf("its answer does not parse: %w", err))
	}
	return nil
}

// AskReport returns the report of [since, until) of the store in dir from
// the daemon that holds it (Find, Client.Report).
func AskReport(ctx context.Context, dir string, since, until time.Time) (analyze.Result, error) {
	c, err := Find(dir)
	if err != nil {
		return analyze.Result{}, err
	}
	defer c.Close()
	return c.Report(ctx, since, until)
}

// StoreReport is the report of [since, until) of the store in dir: asked
// of the daemon that holds it (AskReport; fromDaemon is set), else read
// from the store with cfg (pipeline.Report).
func StoreReport(ctx context.Context, dir string, since, until time.Time, cfg analyze.Config) (res analyze.Result, fromDaemon bool, err error) {
	st, err := store.OpenExisting(dir)
	if errors.Is(err, store.ErrLocked) {
		res, aerr := AskReport(ctx, dir, since, until)
		switch {
		case errors.Is(aerr, ErrNoDaemon):
			return res, false, err
		case aerr != nil:
			return res, true, fmt.Errorf("cannot read the store in %s: %w", dir, aerr)
		}
		return res, true, nil
	}
	if err != nil {
		return res, false, err
	}
	defer st.Close()
	if res, err = pipeline.Report(st, since, until, cfg); err != nil {
		return res, false, fmt.Errorf("cannot report from the store in %s: %w", dir, err)
	}
	return res, false, nil
}
