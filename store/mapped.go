package store

import "time"

// Badger maps its tables into the process (version 4 has no other way to
// read them), and the pages it writes or reads stay mapped until the
// table is closed: they count in the process's resident memory, as much
// as the store holds. A temporary store of an outage-heavy log held
// ~150 MB of tables, all of them resident to the end (docs/benchmarks.md,
// "Flat memory"). The pages are the file's, on disk: the kernel may take
// them back and read them again when they are touched, which a releaser
// asks it to do now and then (reclaim, see pageOut).

// releaseEvery is how often a temporary store's mapped pages are given
// back.
const releaseEvery = 50 * time.Millisecond

// releaser gives back the mapped pages of the tables of one store's
// directory until it is stopped.
type releaser struct {
	stop, done chan struct{}
}

// startReleasing starts giving back dir's mapped table pages each time
// tick sends, until Stop.
func startReleasing(dir string, tick <-chan time.Time) *releaser {
	r := &releaser{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			select {
			case <-r.stop:
				return
			case <-tick:
				_ = pageOut(dir) // at best effort: a failure leaves the pages where they were
			}
		}
	}()
	return r
}

// Stop stops the releaser and waits for it to return.
func (r *releaser) Stop() {
	close(r.stop)
	<-r.done
}
