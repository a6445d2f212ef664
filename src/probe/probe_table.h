// The probe's own table and the statements its readers, writers and verifier run on it.
#pragma once

#include <string>

#include "db/connection.h"

namespace cutover::probe {

// The table is (id, run_id, writer, seq, client_us); each probe run has its own run_id, so
// runs can share a table. `connection` must outlive this object.
class ProbeTable {
 public:
  ProbeTable(db::Connection& connection, std::string name);

  // Creates the table if it does not exist. Several probes may start at once: a race on
  // creation is tolerated. Throws Error on any other failure.
  void ensure_exists();

  // Statements with $n parameters, valid for the connection's dialect:
  std::string insert_sql() const;      // $1 run_id, $2 writer, $3 seq, $4 client_us
  std::string point_read_sql() const;  // $1 run_id, $2 writer, $3 seq
  std::string range_read_sql() const;  // $1 run_id, $2 writer: the 10 newest rows
  std::string verify_sql() const;      // $1 run_id: writer, seq, count(*) per id

 private:
  void run_tolerating_races(const std::string& ddl);

  db::Connection& connection_;
  std::string name_;
  std::string quoted_;
};

}  // namespace cutover::probe
