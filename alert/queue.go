package alert

import "sync"

// queue is a bounded FIFO of messages for one destination: pushing onto
// a full queue drops its oldest message. Safe for concurrent use.
type queue struct {
	mu    sync.Mutex
	items []message
	size  int
	wake  chan struct{} // told, without blocking, that something was pushed
}

func newQueue(size int) *queue {
	return &queue{size: size, wake: make(chan struct{}, 1)}
}

// push appends m; when the queue was full, it drops the oldest message
// and returns it with dropped true.
func (q *queue) push(m message) (old message, dropped bool) {
	q.mu.Lock()
	if len(q.items) == q.size {
		old, dropped = q.items[0], true
		q.items = q.items[1:]
	}
	q.items = append(q.items, m)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return old, dropped
}

// pop takes the oldest message, if any.
func (q *queue) pop() (message, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return message{}, false
	}
	m := q.items[0]
	q.items[0] = message{}
	q.items = q.items[1:]
	return m, true
}

// len is how many messages wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
