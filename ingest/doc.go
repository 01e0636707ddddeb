// Package ingest answers one question: which records do these files hold,
// and where does each start? It finds log files under the paths it is given,
// opens them (gzip, zstd, xz and bzip2 by magic bytes, not by name), frames
// physical lines with a bound on their length, and assembles multi-line
// records with a bound on their size, counting everything it had to cut.
//
// ingest knows nothing of log formats: the caller says where a record starts.
package ingest
