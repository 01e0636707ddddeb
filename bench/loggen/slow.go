package loggen

import (
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Dialect is a slow query log's server.
type Dialect int

const (
	MySQL8  Dialect = iota // MySQL 8.0: `# Time:` in ISO 8601 UTC on every entry, `Id:` on User@Host
	MariaDB                // MariaDB 10.11: `# Time: YYMMDD H:MM:SS` when the second changes, Thread_id/Schema/QC_hit, Rows_affected/Bytes_sent
)

func (d Dialect) String() string {
	if d == MariaDB {
		return "mariadb"
	}
	return "mysql8"
}

// Slow describes a slow query log: the server's header, then Queries
// entries over a day, in the query mix of a shop's database (SlowClasses
// classes, a few of them most of the log, their literals varying).
type Slow struct {
	Seed    uint64
	Queries int
	Dialect Dialect
	Start   time.Time // default DefaultStart
}

// tables and shapes make the query classes: every shape on every table.
var tables = []string{"orders", "order_items", "products", "customers", "carts", "cart_items", "sessions", "inventory", "reviews", "coupons", "shipments", "payments", "addresses", "wishlists", "price_history"}

// shape appends a statement of one class with its literals drawn from rng.
type shape func(b []byte, t string, rng *rand.Rand) []byte

var statuses = []string{"pending", "paid", "shipped", "cancelled", "refunded"}

func lit(b []byte, rng *rand.Rand) []byte {
	return strconv.AppendInt(b, int64(1+rng.IntN(2_000_000)), 10)
}

func str(b []byte, rng *rand.Rand) []byte {
	b = append(b, '\'')
	b = append(b, statuses[rng.IntN(len(statuses))]...)
	return append(b, '\'')
}

func date(b []byte, rng *rand.Rand) []byte {
	t := DefaultStart.Add(-time.Duration(rng.IntN(90*24*3600)) * time.Second)
	b = append(b, '\'')
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	return append(b, '\'')
}

func list(b []byte, rng *rand.Rand) []byte {
	for i := range 1 + rng.IntN(20) {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = lit(b, rng)
	}
	return b
}

var shapes = []shape{
	func(b []byte, t string, r *rand.Rand) []byte {
		return lit(append(b, "SELECT * FROM "+t+" WHERE id = "...), r)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = lit(append(b, "SELECT id, status, created_at FROM "+t+" WHERE customer_id = "...), r)
		return append(b, " ORDER BY created_at DESC LIMIT 20"...)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		return str(append(b, "SELECT COUNT(*) FROM "+t+" WHERE status = "...), r)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		return append(list(append(b, "SELECT * FROM "+t+" WHERE id IN ("...), r), ')')
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = str(append(b, "UPDATE "+t+" SET status = "...), r)
		return lit(append(b, ", updated_at = NOW() WHERE id = "...), r)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = lit(append(b, "INSERT INTO "+t+" (customer_id, status, created_at) VALUES ("...), r)
		b = str(append(b, ", "...), r)
		return append(date(append(b, ", "...), r), ')')
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		return append(date(append(b, "DELETE FROM "+t+" WHERE created_at < "...), r), " LIMIT 1000"...)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = str(append(b, "SELECT x.*, c.email FROM "+t+" x\n  JOIN customers c ON c.id = x.customer_id\n  WHERE x.status = "...), r)
		return date(append(b, " AND x.created_at > "...), r)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = date(append(b, "SELECT customer_id, SUM(total) AS revenue FROM "+t+" WHERE created_at BETWEEN "...), r)
		b = date(append(b, " AND "...), r)
		return append(b, " GROUP BY customer_id ORDER BY revenue DESC LIMIT 10"...)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = append(b, "SELECT id, name FROM "+t+" WHERE name LIKE '"...)
		b = append(b, words[r.IntN(len(words))]...)
		return append(b, "%' LIMIT 50"...)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = lit(append(b, "SELECT * FROM "+t+" WHERE customer_id = "...), r)
		b = str(append(b, " AND status IN ("...), r)
		return append(str(append(b, ", "...), r), ')')
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = strconv.AppendInt(append(b, "UPDATE "+t+" SET total = total + "...), int64(r.IntN(100)), 10)
		b = strconv.AppendInt(append(b, '.'), int64(10+r.IntN(90)), 10)
		b = lit(append(b, " WHERE id = "...), r)
		return lit(append(b, " AND customer_id = "...), r)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = date(append(b, "SELECT id FROM "+t+" WHERE updated_at > "...), r)
		b = strconv.AppendInt(append(b, " ORDER BY id LIMIT "...), int64(10+r.IntN(90)), 10)
		return strconv.AppendInt(append(b, " OFFSET "...), int64(r.IntN(10000)), 10)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		return lit(append(b, "SELECT MAX(id) FROM "+t+" WHERE customer_id = "...), r)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		return append(lit(append(b, "SELECT * FROM "+t+" WHERE id = "...), r), " FOR UPDATE"...)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		return date(append(b, "SELECT COUNT(DISTINCT customer_id) FROM "+t+" WHERE created_at >= "...), r)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = str(append(b, "SELECT * FROM "+t+" WHERE status = "...), r)
		return strconv.AppendInt(append(b, " ORDER BY created_at LIMIT "...), int64(10+r.IntN(90)), 10)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = lit(append(b, "REPLACE INTO "+t+" (id, customer_id, status) VALUES ("...), r)
		b = lit(append(b, ", "...), r)
		return append(str(append(b, ", "...), r), ')')
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = lit(append(b, "DELETE FROM "+t+" WHERE customer_id = "...), r)
		return append(b, " AND status = 'cancelled'"...)
	},
	func(b []byte, t string, r *rand.Rand) []byte {
		b = append(b, "SELECT status, COUNT(*) FROM "+t+"\nWHERE created_at > "...)
		b = date(b, r)
		return append(b, "\nGROUP BY status"...)
	},
}

// SlowClasses is the number of query classes of a Slow log: every shape
// on every table.
var SlowClasses = len(shapes) * len(tables)

// Write writes the slow log to w.
func (s Slow) Write(w io.Writer) (Stats, error) {
	if s.Start.IsZero() {
		s.Start = DefaultStart
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0x736c6f77))
	c := newCounter(w)
	var b []byte
	if s.Dialect == MariaDB {
		b = append(b, "/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-0+deb12u1-log (Debian 12). started with:\nTcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument\n"...)
	} else {
		b = append(b, "/usr/sbin/mysqld, Version: 8.0.40 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument\n"...)
	}
	lastSec := int64(-1)
	used := false
	for i := range s.Queries {
		// Hot classes: a third of the queries in 16 classes, the rest spread.
		class := rng.IntN(SlowClasses)
		if rng.IntN(3) == 0 {
			class = rng.IntN(16) * 7 % SlowClasses
		}
		sh, table := shapes[class%len(shapes)], tables[class/len(shapes)]
		step := int64(86400e6) / int64(max(1, s.Queries)) // µs between queries: the log stays in time order
		end := s.Start.Add(time.Duration(int64(i)*step+rng.Int64N(max(1, step))) * time.Microsecond)
		qt := time.Duration(1e6+rng.Int64N(1e6)*int64(1+rng.IntN(8))) * time.Microsecond // long_query_time 1 s
		lock := time.Duration(50+rng.Int64N(400)) * time.Microsecond
		sent := rng.IntN(200)
		examined := sent + rng.IntN(3_000_000)
		thread := 1000 + rng.IntN(800)
		if s.Dialect == MariaDB {
			if sec := end.Unix(); sec != lastSec {
				lastSec = sec
				b = append(b, "# Time: "...)
				b = end.UTC().AppendFormat(b, "060102")
				h := end.UTC().Hour()
				if h < 10 {
					b = append(b, ' ')
				}
				b = append(b, ' ')
				b = end.UTC().AppendFormat(b, "15:04:05\n")
			}
			b = append(b, "# User@Host: app[app] @ localhost []\n# Thread_id: "...)
			b = strconv.AppendInt(b, int64(thread), 10)
			b = append(b, "  Schema: shop  QC_hit: No\n"...)
		} else {
			b = append(b, "# Time: "...)
			b = end.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z\n")
			b = append(b, "# User@Host: app[app] @ localhost []  Id: "...)
			b = appendPadded(b, thread, 5)
			b = append(b, '\n')
		}
		b = append(b, "# Query_time: "...)
		b = appendSeconds(b, qt)
		b = append(b, "  Lock_time: "...)
		b = appendSeconds(b, lock)
		if s.Dialect == MariaDB {
			b = append(b, "  Rows_sent: "...)
		} else {
			b = append(b, " Rows_sent: "...)
		}
		b = strconv.AppendInt(b, int64(sent), 10)
		b = append(b, "  Rows_examined: "...)
		b = strconv.AppendInt(b, int64(examined), 10)
		b = append(b, '\n')
		if s.Dialect == MariaDB {
			b = append(b, "# Rows_affected: 0  Bytes_sent: "...)
			b = strconv.AppendInt(b, int64(60+sent*120), 10)
			b = append(b, '\n')
		}
		if !used {
			used = true
			if s.Dialect == MariaDB {
				b = append(b, "use `shop`;\n"...)
			} else {
				b = append(b, "use shop;\n"...)
			}
		}
		b = append(b, "SET timestamp="...)
		if s.Dialect == MariaDB {
			b = strconv.AppendInt(b, end.Unix(), 10) // MariaDB: the time of writing
		} else {
			b = strconv.AppendInt(b, end.Add(-qt).Unix(), 10) // MySQL 8: the query's start
		}
		b = append(b, ";\n"...)
		b = sh(b, table, rng)
		b = append(b, ";\n"...)
		c.w.Write(b)
		c.bytes += int64(len(b))
		for _, ch := range b {
			if ch == '\n' {
				c.lines++
			}
		}
		b = b[:0]
	}
	return Stats{Bytes: c.bytes, Lines: c.lines, Records: int64(s.Queries)}, c.w.Flush()
}

// appendSeconds appends d as %.6f seconds.
func appendSeconds(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	return append(b, strconv.FormatInt(us%1e6+1e6, 10)[1:]...)
}

// appendPadded appends n right-aligned in width columns (%5u).
func appendPadded(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for range width - len(s) {
		b = append(b, ' ')
	}
	return append(b, s...)
}
