package ingest

import "syscall"

// changeStamp returns what changes with every write or truncation of a
// file besides its size: its modification and change times.
func changeStamp(st *syscall.Stat_t) ([4]int64, bool) {
	return [4]int64{st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec}, true
}
