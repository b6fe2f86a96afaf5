;; The record scanner's kernel (see record-scanner.ts): finds the ends of CSV records and counts their
;; fields, 64 bytes at a time with SIMD compares and bit masks instead of a branch per byte.
;;
;; For each 64-byte block, one bit per byte marks quotes, commas, LF and CR. A byte is inside quotes
;; when an odd number of quotes precede it (a doubled quote toggles twice), which is the prefix XOR of
;; the quote mask: no per-quote branch. Commas, LF and CR count only outside quotes. A record ends at
;; an LF, or at a CR that no LF follows (a lone CR); a CR as the piece's last byte waits for the next
;; piece to decide. For up to two captured fields (by index) the record also gets the positions of the
;; commas before and after each, so the caller can read them without parsing the record.
;;
;; Memory: bytes [0, IN_CAP) take the piece to scan (with 64 bytes of slack after it, for the last
;; block's loads); records are written at OUT, 8 f64 each: end (global offset just past the record),
;; field count, where the last field ends (its CR or LF), then the positions of comma #k, #k+1 for
;; the first capture and #k, #k+1 for the second (-1 when the record has no such comma). Global
;; offsets are f64 (exact far beyond any file size), counted from the first byte of the file.
(module
  (memory (export "memory") 96)
  ;; 4 MiB of input, then 64 KiB of slack, then the records.
  (global $OUT i32 (i32.const 4259840))
  (global (export "IN_CAP") i32 (i32.const 4194304))
  (global (export "OUT") i32 (i32.const 4259840))
  (global (export "OUT_RECORDS") i32 (i32.const 16384))

  ;; All ones while inside quotes at the end of the last block, else 0.
  (global $inside (mut i64) (i64.const 0))
  ;; Commas seen so far in the open record.
  (global $commas (mut i32) (i32.const 0))
  ;; The piece ended on a CR outside quotes: the next piece's first byte says whether it was a CRLF.
  (global $crPending (mut i32) (i32.const 0))
  ;; The byte before the current block was a CR outside quotes (so an LF at bit 0 ends a CRLF).
  (global $crBefore (mut i32) (i32.const 0))
  ;; Bytes of an unfinished record have been seen.
  (global $open (mut i32) (i32.const 0))
  ;; Where the last scan stopped (the piece's end, or just past the record that filled the output).
  (global $stop (mut i32) (i32.const 0))
  (global $records (mut i32) (i32.const 0))
  ;; Wanted comma numbers (1-based within the record; 0 = none) and their positions (-1 = not seen).
  (global $w0 (mut i32) (i32.const 0))
  (global $w1 (mut i32) (i32.const 0))
  (global $w2 (mut i32) (i32.const 0))
  (global $w3 (mut i32) (i32.const 0))
  (global $maxWanted (mut i32) (i32.const 0))
  ;; The smallest wanted number (0 = none): blocks before it skip the search.
  (global $minWanted (mut i32) (i32.const 0))
  (global $c0 (mut f64) (f64.const -1))
  (global $c1 (mut f64) (f64.const -1))
  (global $c2 (mut f64) (f64.const -1))
  (global $c3 (mut f64) (f64.const -1))

  (func (export "reset")
    (global.set $inside (i64.const 0))
    (global.set $commas (i32.const 0))
    (global.set $crPending (i32.const 0))
    (global.set $crBefore (i32.const 0))
    (global.set $open (i32.const 0))
    (global.set $w0 (i32.const 0))
    (global.set $w1 (i32.const 0))
    (global.set $w2 (i32.const 0))
    (global.set $w3 (i32.const 0))
    (global.set $maxWanted (i32.const 0))
    (global.set $minWanted (i32.const 0))
    (call $clearCaptures))

  ;; Field indices to capture (-1 = none). Field k lies between comma #k (or the record's start when
  ;; k is 0) and comma #k+1 (or the record's end).
  (func (export "setCapture") (param $k0 i32) (param $k1 i32)
    (global.set $w0 (select (local.get $k0) (i32.const 0) (i32.gt_s (local.get $k0) (i32.const 0))))
    (global.set $w1 (select (i32.add (local.get $k0) (i32.const 1)) (i32.const 0) (i32.ge_s (local.get $k0) (i32.const 0))))
    (global.set $w2 (select (local.get $k1) (i32.const 0) (i32.gt_s (local.get $k1) (i32.const 0))))
    (global.set $w3 (select (i32.add (local.get $k1) (i32.const 1)) (i32.const 0) (i32.ge_s (local.get $k1) (i32.const 0))))
    (global.set $maxWanted
      (select (global.get $w1) (global.get $w3) (i32.gt_u (global.get $w1) (global.get $w3))))
    (global.set $minWanted (call $minNonZero (call $minNonZero (global.get $w0) (global.get $w1))
      (call $minNonZero (global.get $w2) (global.get $w3)))))

  (func $minNonZero (param $a i32) (param $b i32) (result i32)
    (if (result i32) (i32.eqz (local.get $a)) (then (local.get $b))
      (else (if (result i32) (i32.eqz (local.get $b)) (then (local.get $a))
        (else (select (local.get $a) (local.get $b) (i32.lt_u (local.get $a) (local.get $b))))))))

  (func (export "insideQuotes") (result i32)
    (i32.wrap_i64 (i64.and (global.get $inside) (i64.const 1))))

  (func (export "stoppedAt") (result i32) (global.get $stop))

  (func $clearCaptures
    (global.set $c0 (f64.const -1))
    (global.set $c1 (f64.const -1))
    (global.set $c2 (f64.const -1))
    (global.set $c3 (f64.const -1)))

  ;; Writes the open record, ending at `end`, its last field ending at `fieldEnd`.
  (func $emit (param $end f64) (param $fieldEnd f64)
    (local $a i32)
    (local.set $a (i32.add (global.get $OUT) (i32.shl (global.get $records) (i32.const 6))))
    (f64.store offset=0 (local.get $a) (local.get $end))
    (f64.store offset=8 (local.get $a) (f64.convert_i32_u (i32.add (global.get $commas) (i32.const 1))))
    (f64.store offset=16 (local.get $a) (local.get $fieldEnd))
    (f64.store offset=24 (local.get $a) (global.get $c0))
    (f64.store offset=32 (local.get $a) (global.get $c1))
    (f64.store offset=40 (local.get $a) (global.get $c2))
    (f64.store offset=48 (local.get $a) (global.get $c3))
    (global.set $records (i32.add (global.get $records) (i32.const 1)))
    (global.set $commas (i32.const 0))
    (global.set $open (i32.const 0))
    (call $clearCaptures))

  ;; Position (0-63) of the set bit of rank r (0-based) in x.
  (func $select (param $x i64) (param $r i32) (result i32)
    (block $done
      (loop $drop
        (br_if $done (i32.eqz (local.get $r)))
        (local.set $x (i64.and (local.get $x) (i64.sub (local.get $x) (i64.const 1))))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $drop)))
    (i32.wrap_i64 (i64.ctz (local.get $x))))

  ;; If comma number w is among this segment's (numbers after `before`, n of them), its position.
  (func $find (param $w i32) (param $seen f64) (param $seg i64) (param $before i32) (param $n i32) (param $at f64) (result f64)
    (if (result f64)
      (i32.and
        (f64.lt (local.get $seen) (f64.const 0))
        (i32.and
          (i32.gt_u (local.get $w) (local.get $before))
          (i32.le_u (local.get $w) (i32.add (local.get $before) (local.get $n)))))
      (then
        (f64.add (local.get $at)
          (f64.convert_i32_u
            (call $select (local.get $seg) (i32.sub (i32.sub (local.get $w) (local.get $before)) (i32.const 1))))))
      (else (local.get $seen))))

  ;; Counts the commas `seg` of the open record (in the block starting at global offset `at`).
  (func $commasIn (param $seg i64) (param $at f64)
    (local $n i32)
    (local $before i32)
    (local.set $n (i32.wrap_i64 (i64.popcnt (local.get $seg))))
    (local.set $before (global.get $commas))
    ;; Only the block holding a wanted comma searches for it.
    (if (i32.and
          (i32.ge_u (i32.add (local.get $before) (local.get $n)) (global.get $minWanted))
          (i32.and
            (i32.ne (local.get $n) (i32.const 0))
            (i32.lt_u (local.get $before) (global.get $maxWanted))))
      (then
        (global.set $c0 (call $find (global.get $w0) (global.get $c0) (local.get $seg) (local.get $before) (local.get $n) (local.get $at)))
        (global.set $c1 (call $find (global.get $w1) (global.get $c1) (local.get $seg) (local.get $before) (local.get $n) (local.get $at)))
        (global.set $c2 (call $find (global.get $w2) (global.get $c2) (local.get $seg) (local.get $before) (local.get $n) (local.get $at)))
        (global.set $c3 (call $find (global.get $w3) (global.get $c3) (local.get $seg) (local.get $before) (local.get $n) (local.get $at)))))
    (global.set $commas (i32.add (local.get $before) (local.get $n))))

  ;; One bit per byte of the 64 at p equal to c.
  (func $bits (param $v0 v128) (param $v1 v128) (param $v2 v128) (param $v3 v128) (param $c i32) (result i64)
    (local $s v128)
    (local.set $s (i8x16.splat (local.get $c)))
    (i64.or
      (i64.or
        (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v0) (local.get $s))))
        (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v1) (local.get $s)))) (i64.const 16)))
      (i64.or
        (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v2) (local.get $s)))) (i64.const 32))
        (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v3) (local.get $s)))) (i64.const 48)))))

  ;; Scans bytes [start, end) of the input, whose byte 0 is at global offset `base`. Writes at most
  ;; `max` records and returns how many; stoppedAt() then says where to continue (end when done).
  (func (export "scan") (param $start i32) (param $end i32) (param $base f64) (param $max i32) (result i32)
    (local $p i32)
    (local $valid i32)
    (local $vmask i64)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $q i64) (local $c i64) (local $l i64) (local $r i64) (local $x i64) (local $out i64)
    (local $t i64) (local $tb i32) (local $from i32) (local $pend i32) (local $at f64) (local $g f64) (local $fe f64)
    (global.set $records (i32.const 0))
    (local.set $p (local.get $start))
    ;; A CR that ended the previous piece: a CRLF if this piece starts with LF, else a record by itself.
    (if (i32.and (global.get $crPending) (i32.lt_u (local.get $p) (local.get $end)))
      (then
        (global.set $crPending (i32.const 0))
        (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 10))
          (then (global.set $crBefore (i32.const 1)))
          (else
            (global.set $crBefore (i32.const 0))
            (local.set $g (f64.add (local.get $base) (f64.convert_i32_u (local.get $p))))
            (call $emit (local.get $g) (f64.sub (local.get $g) (f64.const 1)))
            (if (i32.ge_u (global.get $records) (local.get $max))
              (then (global.set $stop (local.get $p)) (return (global.get $records))))))))
    (block $finished
      (loop $blocks
        (br_if $finished (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $valid (i32.sub (local.get $end) (local.get $p)))
        (if (i32.gt_u (local.get $valid) (i32.const 64)) (then (local.set $valid (i32.const 64))))
        (local.set $vmask
          (select (i64.const -1)
            (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $valid))) (i64.const 1))
            (i32.eq (local.get $valid) (i32.const 64))))
        (local.set $v0 (v128.load offset=0 (local.get $p)))
        (local.set $v1 (v128.load offset=16 (local.get $p)))
        (local.set $v2 (v128.load offset=32 (local.get $p)))
        (local.set $v3 (v128.load offset=48 (local.get $p)))
        (local.set $q (i64.and (local.get $vmask) (call $bits (local.get $v0) (local.get $v1) (local.get $v2) (local.get $v3) (i32.const 34))))
        (local.set $c (i64.and (local.get $vmask) (call $bits (local.get $v0) (local.get $v1) (local.get $v2) (local.get $v3) (i32.const 44))))
        (local.set $l (i64.and (local.get $vmask) (call $bits (local.get $v0) (local.get $v1) (local.get $v2) (local.get $v3) (i32.const 10))))
        (local.set $r (i64.and (local.get $vmask) (call $bits (local.get $v0) (local.get $v1) (local.get $v2) (local.get $v3) (i32.const 13))))
        ;; Inside quotes = prefix XOR of the quote bits, flipped when the block starts inside.
        (local.set $x (local.get $q))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 1))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 2))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 4))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 8))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 16))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 32))))
        (local.set $x (i64.xor (local.get $x) (global.get $inside)))
        (local.set $out (i64.and (i64.xor (local.get $x) (i64.const -1)) (local.get $vmask)))
        (local.set $c (i64.and (local.get $c) (local.get $out)))
        (local.set $l (i64.and (local.get $l) (local.get $out)))
        (local.set $r (i64.and (local.get $r) (local.get $out)))
        ;; Record ends: every LF, and every CR not followed by an LF (the byte after the block decides bit 63).
        (local.set $t (i64.shr_u (local.get $l) (i64.const 1)))
        (if (i32.lt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end))
          (then
            (if (i32.eq (i32.load8_u offset=64 (local.get $p)) (i32.const 10))
              (then (local.set $t (i64.or (local.get $t) (i64.const 0x8000000000000000)))))))
        (local.set $t (i64.or (local.get $l) (i64.and (local.get $r) (i64.xor (local.get $t) (i64.const -1)))))
        ;; A CR as the piece's last byte: undecided until the next piece.
        (local.set $pend (i32.const 0))
        (if (i32.ge_u (i32.add (local.get $p) (local.get $valid)) (local.get $end))
          (then
            (if (i64.ne (i64.const 0)
                  (i64.and (local.get $r) (i64.shl (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $valid) (i32.const 1))))))
              (then
                (local.set $pend (i32.const 1))
                (local.set $t (i64.and (local.get $t)
                  (i64.xor (i64.shl (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $valid) (i32.const 1)))) (i64.const -1))))))))
        (local.set $at (f64.add (local.get $base) (f64.convert_i32_u (local.get $p))))
        (local.set $from (i32.const 0))
        (block $ends
          (loop $each
            (br_if $ends (i64.eqz (local.get $t)))
            (local.set $tb (i32.wrap_i64 (i64.ctz (local.get $t))))
            ;; Commas between the previous end in this block (bit $from) and this one.
            (call $commasIn
              (i64.and (local.get $c)
                (i64.and
                  (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $tb))) (i64.const 1))
                  (i64.shl (i64.const -1) (i64.extend_i32_u (local.get $from)))))
              (local.get $at))
            (local.set $g (f64.add (local.get $at) (f64.convert_i32_u (local.get $tb))))
            (local.set $fe (local.get $g))
            ;; An LF right after a CR: the last field ended at the CR.
            (if (i64.ne (i64.const 0) (i64.and (local.get $l) (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $tb)))))
              (then
                (if (if (result i32) (i32.eqz (local.get $tb))
                      (then (global.get $crBefore))
                      (else (i64.ne (i64.const 0)
                        (i64.and (local.get $r) (i64.shl (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $tb) (i32.const 1))))))))
                  (then (local.set $fe (f64.sub (local.get $g) (f64.const 1)))))))
            (call $emit (f64.add (local.get $g) (f64.const 1)) (local.get $fe))
            (local.set $from (i32.add (local.get $tb) (i32.const 1)))
            (local.set $t (i64.and (local.get $t) (i64.sub (local.get $t) (i64.const 1))))
            (if (i32.ge_u (global.get $records) (local.get $max))
              (then
                ;; Just past a record end: outside quotes, nothing pending.
                (global.set $inside (i64.const 0))
                (global.set $crBefore (i32.const 0))
                (global.set $stop (i32.add (local.get $p) (local.get $from)))
                (return (global.get $records))))
            (br $each)))
        ;; The commas after the last end in this block belong to the open record.
        (if (i32.lt_u (local.get $from) (i32.const 64))
          (then
            (call $commasIn
              (i64.and (local.get $c) (i64.shl (i64.const -1) (i64.extend_i32_u (local.get $from))))
              (local.get $at))))
        (if (i32.lt_u (local.get $from) (local.get $valid)) (then (global.set $open (i32.const 1))))
        (global.set $inside (i64.shr_s (local.get $x) (i64.const 63)))
        (global.set $crBefore (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 63))))
        (global.set $crPending (local.get $pend))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $blocks)))
    (global.set $stop (local.get $end))
    (global.get $records))

  ;; At the end of the file (global offset `eof`): writes the last record when it has no line ending.
  ;; Returns 1 if it wrote one. A file cut inside quotes gets none (insideQuotes() says so).
  (func (export "finish") (param $eof f64) (result i32)
    (global.set $records (i32.const 0))
    (if (i64.eqz (i64.and (global.get $inside) (i64.const 1)))
      (then
        (if (global.get $crPending)
          (then (call $emit (local.get $eof) (f64.sub (local.get $eof) (f64.const 1))))
          (else (if (global.get $open) (then (call $emit (local.get $eof) (local.get $eof))))))))
    (global.set $crPending (i32.const 0))
    (global.get $records)))
