package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/logcause/logcause/config"
)

// StreamName is the JetStream stream of every site's subjects.
const StreamName = "LOGCAUSE"

// Stream settings (docs/fleet.md): what the stream keeps and how long a
// message ID is remembered to drop one sent again.
const (
	StreamMaxAge     = 7 * 24 * time.Hour
	StreamDuplicates = 10 * time.Minute
)

// apiTimeout bounds a request to JetStream's API.
const apiTimeout = 5 * time.Second

// JetStream publishes to, and consumes from, the stream on a NATS
// connection. It is safe for concurrent use.
type JetStream struct {
	nc *nats.Conn
	js jetstream.JetStream
	// ensured: EnsureStream succeeded and no Publish failed since, so
	// that Publish does not ask the stream's API before each chunk.
	ensured atomic.Bool
}

var _ Publisher = (*JetStream)(nil)

// Connect connects to the servers of n as name. An unreachable server is
// no error: the connection keeps trying (a host keeps working without its
// fleet, and catches up), and Publish fails meanwhile.
func Connect(n config.NATS, name string) (*JetStream, error) {
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true), nats.ReconnectWait(time.Second)}
	if n.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(n.CredsFile))
	}
	if n.TLS.CAFile != "" {
		opts = append(opts, nats.RootCAs(n.TLS.CAFile))
	}
	if n.TLS.CertFile != "" {
		opts = append(opts, nats.ClientCert(n.TLS.CertFile, n.TLS.KeyFile))
	}
	nc, err := nats.Connect(n.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to NATS at %s: %w (check fleet.nats in the config)", n.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("cannot use JetStream at %s: %w", n.URL, err)
	}
	return &JetStream{nc: nc, js: js}, nil
}

// Close closes the connection.
func (j *JetStream) Close() { j.nc.Close() }

// EnsureStream creates the stream when it does not exist: file storage,
// three replicas when the cluster has three servers or more (else one),
// kept StreamMaxAge, message IDs remembered StreamDuplicates. An existing
// stream is left as its operator configured it.
func (j *JetStream) EnsureStream(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout) // a request no server answers (no leader yet) is asked again
	defer cancel()
	_, err := j.js.Stream(ctx, StreamName)
	if err == nil {
		return nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("cannot look up the stream %s: %w (are the servers of fleet.nats.url reachable, with JetStream on?)", StreamName, err)
	}
	replicas := 1
	if len(j.nc.Servers()) >= 3 {
		replicas = 3
	}
	_, err = j.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: StreamName, Subjects: []string{SubjectPrefix + ".>"}, Storage: jetstream.FileStorage,
		Replicas: replicas, MaxAge: StreamMaxAge, Duplicates: StreamDuplicates, Discard: jetstream.DiscardOld,
	})
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("cannot create the stream %s: %w (create it as docs/fleet.md says)", StreamName, err)
	}
	return nil
}

// maxAsync bounds the publishes waiting for their acknowledgement
// (nats.go refuses more than 4,000).
const maxAsync = 512

// Publish sends msgs and waits until the stream stored each (or dropped
// it as a duplicate): maxAsync at a time. The stream is ensured
// (EnsureStream) at the first Publish and at the first after a failure.
func (j *JetStream) Publish(ctx context.Context, msgs []Message) error {
	if !j.ensured.Load() {
		if err := j.EnsureStream(ctx); err != nil {
			return err
		}
		j.ensured.Store(true)
	}
	for len(msgs) > 0 {
		n := min(len(msgs), maxAsync)
		if err := j.publish(ctx, msgs[:n]); err != nil {
			j.ensured.Store(false) // the stream may be gone: asked again next time
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

func (j *JetStream) publish(ctx context.Context, msgs []Message) error {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		f, err := j.js.PublishMsgAsync(&nats.Msg{Subject: m.Subject, Data: m.Data}, jetstream.WithMsgID(m.ID), jetstream.WithExpectStream(StreamName))
		if err != nil {
			return fmt.Errorf("cannot publish to the stream %s: %w", StreamName, err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("cannot publish to the stream %s: %w", StreamName, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// LastID returns the Nats-Msg-Id of the last message the stream holds on
// subject, and false when it holds none (LastStored).
func (j *JetStream) LastID(ctx context.Context, subject string) (string, bool, error) {
	s, err := j.js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cannot look up the stream %s: %w (are the servers of fleet.nats.url reachable, with JetStream on?)", StreamName, err)
	}
	m, err := s.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cannot read the stream %s: %w", StreamName, err)
	}
	return m.Header.Get(jetstream.MsgIDHeader), true, nil
}

// Feed is a site's subjects, in stream order, from a sequence on.
type Feed struct {
	it       jetstream.MessagesContext
	detached func() bool // stops the stop of it when Subscribe's ctx ends
}

// maxResets bounds how many times the library's ordered consumer tries to
// create its next consumer after it lost one (a server gone, a missed
// heartbeat) before Fetch fails and the Consumer subscribes again, its
// own backoff between. Left unbounded (the library's default), a consumer
// whose creation a killed server was to answer kept the fleet waiting for
// minutes: each attempt, with the same name, timed out (10 s) and was
// tried again, and not even SIGTERM ended the wait
// (TestFleetOnARealCluster).
const maxResets = 3

// Subscribe returns the messages of site's subjects from the stream
// sequence from on (0: from the first). It is an ordered consumer: the
// library recreates it, past the last message delivered, when its server
// goes away, so that messages come in order without a gap. Its durable
// position is the fleet store's (Consumer): committed with the data,
// each message is applied once. (A durable JetStream consumer acked with
// AckAll lost the messages its killed server had delivered: the next
// ones, acked, acked them too.)
func (j *JetStream) Subscribe(ctx context.Context, site string, from uint64) (Feeder, error) {
	if err := j.EnsureStream(ctx); err != nil {
		return nil, err
	}
	// A name of its own each time: one the stream still assigns to a
	// server that went away is never answered.
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{SubjectPrefix + "." + site + ".>"}, NamePrefix: "logcause-fleet-" + site + "-" + nuid.Next(), MaxResetAttempts: maxResets}
	if from > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from
	}
	c, err := j.js.OrderedConsumer(ctx, StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot consume the stream %s for site %s: %w", StreamName, site, err)
	}
	it, err := c.Messages()
	if err != nil {
		return nil, fmt.Errorf("cannot consume the stream %s for site %s: %w", StreamName, site, err)
	}
	// The library's waits between its attempts to create a consumer do
	// not see ctx, only the end of the iterator: ctx's end stops it.
	return &Feed{it: it, detached: context.AfterFunc(ctx, it.Stop)}, nil
}

// batchGap is how long Fetch waits for one more message of a batch: a
// batch ends when the stream has no more for that long.
const batchGap = 20 * time.Millisecond

// maxBatch bounds a batch.
const maxBatch = 512

// Fetch waits for the next message, and returns it with those that follow
// at once (at most maxBatch).
func (f *Feed) Fetch(ctx context.Context) ([]Delivery, error) {
	var out []Delivery
	for len(out) < maxBatch {
		opt := jetstream.NextContext(ctx)
		if len(out) > 0 {
			opt = jetstream.NextMaxWait(batchGap)
		}
		m, err := f.it.Next(opt)
		if err != nil {
			if len(out) > 0 && errors.Is(err, nats.ErrTimeout) {
				return out, nil
			}
			return out, fmt.Errorf("cannot read the stream %s: %w", StreamName, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return out, fmt.Errorf("cannot read the stream %s: %w", StreamName, err)
		}
		out = append(out, Delivery{Subject: m.Subject(), Seq: md.Sequence.Stream, Data: m.Data(), Pending: md.NumPending})
	}
	return out, nil
}

// Close stops the feed.
func (f *Feed) Close() {
	f.detached()
	f.it.Stop()
}

// Delivery is one message consumed: its subject, its sequence in the
// stream, its body, and how many messages followed it in the stream when
// it was delivered (0: the consumer is caught up).
type Delivery struct {
	Subject string
	Seq     uint64
	Data    []byte
	Pending uint64
}
