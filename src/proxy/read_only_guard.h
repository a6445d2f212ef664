// The proxy's read-only guard: refuses SQL that would lift the read-only mode the proxy holds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cutover::proxy {

enum class GuardOutcome {
  kAllowed,      // forward it: it cannot lift read-only mode (writes are the server's to refuse)
  kRefused,      // it would, or might, lift read-only mode
  kSyntaxError,  // libpg_query cannot parse it, so nothing about it can be known
};

struct GuardVerdict {
  GuardOutcome outcome = GuardOutcome::kAllowed;
  // kRefused: the first refused statement as written (comments kept), whitespace trimmed.
  // kSyntaxError: the whole text, trimmed (the parser cannot tell where statements end).
  std::string statement;
  std::size_t statement_offset = 0;  // byte offset of `statement` in the checked text
  // kRefused: what the statement tried, worded to fit "cannot execute <reason> in a read-only
  // transaction" (SQLSTATE 25006), e.g. `SET default_transaction_read_only = off`, `DO`,
  // `set_config('transaction_read_only', ...)`. kSyntaxError: libpg_query's message, e.g.
  // `syntax error at or near "SELEC"` (SQLSTATE 42601 fits it).
  std::string reason;
  std::string detail;  // kRefused: one sentence saying why, for the ErrorResponse's detail
  int cursor = 0;      // kSyntaxError: 1-based character position of the error, 0 if unknown
  // A statement read ends the transaction: COMMIT, END, ROLLBACK, ABORT (AND CHAIN or not),
  // PREPARE TRANSACTION. Read up to the refused statement when refused; unset for syntax errors.
  bool ends_transaction = false;

  bool allowed() const { return outcome == GuardOutcome::kAllowed; }
};

// Judges the SQL text of a simple Query message or of an extended-protocol Parse message (any
// number of statements separated by `;`, comments and all) for a session that the proxy has made
// read only with `default_transaction_read_only = on`. The text is parsed once, by libpg_query
// (PostgreSQL's own parser), so case, quoting, comments, escapes and dollar quoting are read as
// the server reads them. Refused when any statement:
//  - sets `default_transaction_read_only` or `transaction_read_only` to anything the server does
//    not read as true (on, true, yes, 1 and their accepted prefixes), sets it TO DEFAULT or FROM
//    CURRENT, or RESETs it; RESET ALL; SET TRANSACTION / SET SESSION CHARACTERISTICS AS
//    TRANSACTION / BEGIN / START TRANSACTION with READ WRITE; DISCARD ALL (it resets every
//    setting of the session);
//  - names either setting, or RESETs ALL, inside another statement: ALTER ROLE / DATABASE /
//    SYSTEM ... SET or RESET, CREATE / ALTER FUNCTION or PROCEDURE ... SET (writes the server
//    would refuse anyway, except ALTER SYSTEM; refused whatever the value);
//  - calls set_config() anywhere (any expression, subquery, CTE, argument, CALL, PREPARE,
//    DECLARE, EXPLAIN, ...), under any schema, with either setting's name as its setting_name
//    (positional or named, through casts and COLLATE), whatever the new value, or with a
//    setting_name that is not a constant;
//  - calls a function that runs SQL text in the session (query_to_xml, query_to_xmlschema,
//    query_to_xml_and_xmlschema, ts_stat, two-argument ts_rewrite) with a constant text that
//    itself is refused (checked the same way, to a depth of 8) or with a text not constant;
//  - is a DO block (its body could do any of the above through EXECUTE, unseen).
// Allowed, on purpose: SET ... = on and the like, BEGIN READ ONLY, SET ROLE and SET SESSION
// AUTHORIZATION (neither touches these settings), COMMIT / ROLLBACK AND CHAIN (the new
// transaction keeps the ended one's read-only-ness), and every write (the server refuses those
// in a read-only transaction with SQLSTATE 25006, which is the point of the mode).
// `in_read_write_transaction`: the session is in a transaction begun before the mode, which
// it takes only at that transaction's end. Then also refused: any statement after one that
// ends the transaction (COMMIT, END, ROLLBACK, ABORT, PREPARE TRANSACTION) in the same text,
// which would run read-write, and COMMIT / ROLLBACK AND CHAIN, which would go on read-write.
// Not seen, by nature: what runs inside objects the database already holds (functions,
// procedures, views, rules defined before read-only mode began). Creating one is a write the
// mode refuses, so they can only be an administrator's doing.
// Empty text and text of comments only are allowed (the server answers EmptyQueryResponse);
// text holding a zero byte is refused (the protocol's strings end at one, so it was cut).
// Never throws (the proxy's data path throws nothing): anything unexpected, even running out of
// memory, refuses. Runs on the calling thread, which needs about 256 KiB of free stack, for texts
// up to 2 KiB; longer ones are parsed on a short-lived helper thread with a stack in proportion
// (libpg_query's tree output recurses once per level of nesting, and `1+1+...` nests a level
// every two characters). Cost measured (RelWithDebInfo, one core of this 2-core machine, under
// other load): a 200-character SELECT with a join, a function call and an IN list about 30
// microseconds a call (libpg_query's parse and JSON output about 12 of them, reading that JSON
// most of the rest); a 90-character one about 13; 3 KB about 110, helper thread included; a 1 MB
// IN list about 0.25 s. Pathological nesting is slower: 1 MB of `1+1+...` takes about 2 s, as
// libpg_query's JSON for it runs to 77 MB; the proxy should call this where a slow call holds up
// no other session.
GuardVerdict check_read_only(std::string_view sql, bool in_read_write_transaction = false) noexcept;

}  // namespace cutover::proxy
