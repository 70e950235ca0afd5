// What a uuid looks like, for every schema and check that takes one (any case: ids are
// compared lowercased).
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
export const UUID = new RegExp(UUID_PATTERN)
