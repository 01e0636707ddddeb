package pipeline

import "github.com/logcause/logcause/patterns"

// aheadBatch is how many kept events the step parses before it hands them
// to the classifying goroutine: enough that handing them costs nothing to
// speak of, few enough that they hold little memory (two batches at most).
const aheadBatch = 512

// ahead classifies a file's events (a slow log's fingerprints and ids,
// patterns.Deferrer) on a goroutine of its own while the step parses the
// next ones: the parse keeps the state that goes from record to record, on
// the load's goroutine; the classification needs none. The events reach
// the sink in file order, classified: one batch with the goroutine at a
// time, handed to the sink before the next goes.
type ahead struct {
	pending []*patterns.Event // parsed, not yet with the goroutine
	todo    chan []*patterns.Event
	done    chan classified
	busy    bool // a batch is with the goroutine
}

// classified is a batch back from the goroutine, prepared for the sink
// when the sink is a preparer (take: nil if not).
type classified struct {
	batch []*patterns.Event
	take  func() error
}

// preparer is a Sink that can do part of its Event's work apart, on the
// goroutine that classifies (store.Writer: encode the events): prepare
// may run while the sink is used; take, where the sink is used, takes
// the batch as Event would each event.
type preparer interface {
	Preparer() (prepare func([]*patterns.Event) (take func() error))
}

func newAhead(c patterns.Classifier, sink Sink) *ahead {
	a := &ahead{todo: make(chan []*patterns.Event), done: make(chan classified)}
	var prepare func([]*patterns.Event) func() error
	if p, ok := sink.(preparer); ok {
		prepare = p.Preparer()
	}
	go func() {
		defer close(a.done)
		for batch := range a.todo {
			for _, ev := range batch {
				c.Classify(ev)
			}
			out := classified{batch: batch}
			if prepare != nil {
				out.take = prepare(batch)
			}
			a.done <- out
		}
	}()
	return a
}

// add takes ev; when a batch is full it hands it on, after handing the
// previous one, classified, to sink.
func (a *ahead) add(ev *patterns.Event, sink Sink) error {
	a.pending = append(a.pending, ev)
	if len(a.pending) < aheadBatch {
		return nil
	}
	err := a.receive(sink)
	a.todo <- a.pending
	a.busy, a.pending = true, make([]*patterns.Event, 0, aheadBatch)
	return err
}

// settle hands every event taken to sink, classified.
func (a *ahead) settle(sink Sink) error {
	err := a.receive(sink)
	if len(a.pending) > 0 {
		a.todo <- a.pending
		a.busy, a.pending = true, a.pending[:0:0]
		if rerr := a.receive(sink); err == nil {
			err = rerr
		}
	}
	return err
}

// receive waits for the batch with the goroutine and hands it to sink.
func (a *ahead) receive(sink Sink) error {
	if !a.busy {
		return nil
	}
	got := <-a.done
	a.busy = false
	if got.take != nil {
		return got.take()
	}
	for _, ev := range got.batch {
		if err := sink.Event(ev); err != nil {
			return err
		}
	}
	return nil
}

// stop ends the goroutine; events not settled are dropped.
func (a *ahead) stop() {
	if a.busy {
		<-a.done
		a.busy = false
	}
	close(a.todo)
	for range a.done {
	}
}
