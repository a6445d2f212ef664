// The factory of each kind of operation, one per file of this folder; see operation_registry.cpp.
#pragma once

#include <memory>

#include "change/operation.h"

namespace cutover::change {

// Each reads and checks the fields of `spec` (OperationArgs) and throws Error(kBadInput) naming
// spec.where() for a missing or unknown field.
std::unique_ptr<Operation> make_create_table(const OperationSpec& spec);
std::unique_ptr<Operation> make_drop_table(const OperationSpec& spec);
std::unique_ptr<Operation> make_rename_table(const OperationSpec& spec);
std::unique_ptr<Operation> make_create_index(const OperationSpec& spec);
std::unique_ptr<Operation> make_drop_index(const OperationSpec& spec);
std::unique_ptr<Operation> make_add_constraint(const OperationSpec& spec);
std::unique_ptr<Operation> make_drop_constraint(const OperationSpec& spec);
std::unique_ptr<Operation> make_add_column(const OperationSpec& spec);
std::unique_ptr<Operation> make_drop_column(const OperationSpec& spec);
std::unique_ptr<Operation> make_rename_column(const OperationSpec& spec);
std::unique_ptr<Operation> make_alter_column(const OperationSpec& spec);
std::unique_ptr<Operation> make_split_to_table(const OperationSpec& spec);
std::unique_ptr<Operation> make_raw_sql(const OperationSpec& spec);  // kind `sql`

}  // namespace cutover::change
