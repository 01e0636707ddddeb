package fleet

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// batchOf is a batch of seconds as a Pump gathers it: seconds apart and
// in order, statuses of some seconds only, two upstreams.
func batchOf() []wireSecond {
	return []wireSecond{
		{T: 1795416520, S: map[int]int64{200: 3, 502: 1}, U: map[string]map[int]int64{"10.0.0.7:9000": {200: 2, 502: 1}}},
		{T: 1795416521, S: map[int]int64{304: 1}},
		{T: 1795420000, S: map[int]int64{9: 2, 200: 4_000_000}, U: map[string]map[int]int64{"unix:/run/php/php8.2-fpm.sock": {9: 2}, "10.0.0.7:9000": {200: 1}}},
	}
}

// TestSecondsInColumnsReadBackAsSent: a batch in columns is read back as
// it was (its seconds, statuses, upstreams; none gained or lost), the
// same batch is the same bytes (its message the same ID), and the JSON
// form of a Pump of an older version is still read.
func TestSecondsInColumnsReadBackAsSent(t *testing.T) {
	batch := batchOf()
	b := encodeSeconds(batch)
	got, err := decodeSeconds(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, batch) {
		t.Errorf("read back %+v, sent %+v", got, batch)
	}
	for range 10 { // maps iterate in another order each time
		if again := encodeSeconds(batchOf()); !bytes.Equal(again, b) {
			t.Fatalf("the same batch encoded as %x, then %x", b, again)
		}
	}
	old, err := json.Marshal(wireSeconds{Seconds: batch})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeSeconds(old); err != nil || !reflect.DeepEqual(got, batch) {
		t.Errorf("the JSON form read as %+v, %v", got, err)
	}
}

// TestSecondsInColumnsRefuseWhatIsNotWhole: a batch cut short, with bytes
// after it, with more seconds than a batch holds, or a status past 999
// is refused as a whole, not read in part; a count past the bound reads
// as one addSecond refuses.
func TestSecondsInColumnsRefuseWhatIsNotWhole(t *testing.T) {
	b := encodeSeconds(batchOf())
	for name, bad := range map[string][]byte{
		"cut short":        b[:len(b)-3],
		"bytes after it":   append(bytes.Clone(b), 0),
		"empty":            nil,
		"another format":   {7, 1, 2},
		"too many":         {secondsColumns, 0xff, 0xff, 0x03},
		"a status of 1000": {secondsColumns, 1, 2, 1, 0xe8, 0x07, 1, 0},
	} {
		if got, err := decodeSeconds(bad); err == nil {
			t.Errorf("%s: read as %+v", name, got)
		}
	}
	huge := []byte{secondsColumns, 1, 2, 1, 200, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0}
	got, err := decodeSeconds(huge)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].S[200] != maxSecondCount+1 || addSecond(counted{}, got[0]) {
		t.Errorf("a count of 2^64-1 read as %+v, not refused", got)
	}
}

// TestRecordsDictionaryIsRead: a records message compressed with the
// dictionary is read by the consumer's decoder, and one compressed
// without it (a Pump of an older version) too; the dictionary makes a
// message of one gateway-error line smaller.
func TestRecordsDictionaryIsRead(t *testing.T) {
	p := NewPump(nil, nil, PumpConfig{})
	defer p.zstd.Close()
	defer p.recz.Close()
	c := NewConsumer(nil, ConsumerConfig{})
	defer c.zstd.Close()
	line := `{"records":[{"Time":"2026-11-23T20:55:52Z","Kind":"nginx_access","Path":"/var/log/nginx/access.log","Offset":48008925,"Text":"10.246.78.40 - - [23/Nov/2026:21:55:52 +0100] \"POST /checkout.php HTTP/1.1\" 504 157 \"https://www.google.com/\" \"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36\"","Access":{"RemoteAddr":"10.246.78.40","Method":"POST","URI":"/checkout.php","Protocol":"HTTP/1.1","Status":504,"BodyBytesSent":157,"HTTPReferer":"https://www.google.com/","HTTPUserAgent":"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36","RequestTime":-1},"Error":null,"FPM":null,"FPMSlow":null,"Slow":null,"MySQL":null,"Syslog":null,"Apache":null,"HAProxy":null}]}`
	with := p.recz.EncodeAll([]byte(line), nil)
	without := p.zstd.EncodeAll([]byte(line), nil)
	for name, data := range map[string][]byte{"with the dictionary": with, "without": without} {
		var wr wireRecords
		if !c.decode(Delivery{Subject: "logcause.shop.web1.records", Data: data}, &wr) || len(wr.Records) != 1 || !strings.Contains(wr.Records[0].Text, "checkout.php") {
			t.Errorf("a records message compressed %s read as %+v", name, wr.Records)
		}
	}
	if len(with) >= len(without)*2/3 {
		t.Errorf("a gateway-error line compressed with the dictionary is %d bytes, without %d", len(with), len(without))
	}
	plain, _ := zstd.NewReader(nil)
	defer plain.Close()
	if _, err := plain.DecodeAll(with, nil); err == nil {
		t.Error("a frame that needs the dictionary was read without it")
	}
}
