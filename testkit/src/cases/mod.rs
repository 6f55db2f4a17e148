//! The cases, one module per topic. Each case is a `pub async fn(&Harness)` whose doc says the
//! behaviour it holds a backend to.

pub mod batch;
pub mod concurrency;
pub mod conditions;
pub mod entities;
pub mod errors;
pub mod generated;
pub mod indexes;
pub mod items;
pub mod key_conditions;
pub mod multikey;
pub mod ordering;
pub mod pagination;
pub mod scan;
pub mod transactions;
pub mod typed;
pub mod unique;
pub mod updates;
pub mod write_paths;

/// Every case, by topic; used by [`crate::conformance_suite!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($factory:expr) => {
        $crate::__emit_conformance!($factory;
            ordering { strings_order_by_utf8_bytes, emoji_sorts_after_bmp, no_unicode_normalisation, numbers_order_by_value, number_keys_equal_by_value, numbers_come_back_canonical, binary_orders_unsigned, binary_begins_with, descending_is_exact_reverse, scan_keeps_partitions_contiguous, string_begins_with_is_byte_prefix }
            key_conditions { sort_eq, sort_lt, sort_le, sort_gt, sort_ge, between_is_inclusive, between_equal_bounds, between_inverted_is_error, number_between_by_value, begins_with_on_number_key_is_error, empty_string_in_key_condition_is_error, sort_condition_without_sort_key_is_error, wrong_type_in_key_condition_is_error, no_match_is_empty_page, partition_only_returns_whole_partition, oversize_sort_key_in_condition_is_error }
            pagination { limit_counts_before_filter, count_and_scanned_count, limit_at_end_still_returns_last_key, limit_beyond_end_has_no_last_key, count_only_returns_no_items, limit_zero_is_error, query_filter_on_key_is_error, filter_reads_unprojected_attributes, count_only_with_projection_is_error, filtered_pages_may_be_empty, descending_pages_resume_before_last_key, table_last_key_is_primary_key, gsi_last_key_has_index_and_table_keys, lsi_last_key, start_key_need_not_exist, start_key_outside_condition_is_error, start_key_of_wrong_shape_is_error, pages_stop_at_one_megabyte, one_megabyte_counts_stored_size, scan_budget_counts_filtered_items, limit_or_megabyte_whichever_first }
            items { item_of_400kb_is_accepted, item_over_400kb_is_rejected, item_size_accounting, update_beyond_400kb_is_rejected, key_size_limits, empty_values_outside_keys_round_trip, empty_key_values_are_rejected, empty_sets_are_rejected, sets_round_trip_as_sets, empty_attribute_names_are_rejected, key_attributes_must_be_present_and_typed, numbers_keep_38_digits, arithmetic_beyond_38_digits_is_rejected, nesting_beyond_32_levels_is_rejected, attribute_names_are_case_sensitive }
            conditions { create_if_absent, failed_condition_returns_old_item_when_asked, conditions_on_missing_items, delete_missing_item_is_noop, put_and_delete_return_values, type_mismatch_compares_false, missing_attribute_comparisons, equality_by_value, list_index_out_of_range_is_absent, attribute_type, begins_with_in_conditions, contains_semantics, size_semantics, in_operand_limit, between_in_conditions, ordering_unordered_types_is_error, same_path_both_sides_is_error, operator_precedence, compare_attributes, nested_paths, scalar_equalities, failed_condition_writes_nothing }
            updates { update_return_values, update_missing_item_upserts, empty_update_creates_key_only_item, right_hand_sides_read_old_values, missing_operand_is_error, plus_and_minus, if_not_exists, list_append, set_list_index, nested_set_needs_parent, remove_semantics, add_numbers_and_sets, add_type_errors, delete_from_sets, key_attributes_cannot_be_updated, overlapping_paths_are_rejected, set_whole_map_replaces, update_with_empty_set_is_rejected, failed_update_changes_nothing }
            transactions { transaction_applies_all, failed_condition_cancels_all, every_failure_is_reported, cancellation_reports_old_item, action_count_limits, two_actions_on_one_item_rejected, transaction_update_upserts, update_error_rejects_whole_transaction, update_error_wins_over_failed_condition, key_update_cancels_with_validation_reason, oversize_update_cancels_with_validation_reason, index_key_type_mismatch_cancels_transaction, static_errors_reject_whole_request, transact_get_is_aligned, idempotency_token }
            batch { batch_write_limit, batch_write_duplicates_rejected, batch_write_bad_item_writes_nothing, batch_write_deletes, batch_get_limits, batch_get_omits_missing, batch_get_projection }
            indexes { gsi_is_sparse, gsi_sorts_by_index_key, hash_only_gsi, index_projections, consistent_read_on_gsi_rejected, unknown_index_rejected, gsi_filter_on_keys, index_key_type_mismatch_rejected, empty_index_key_rejected, index_key_size_limits, index_follows_key_changes, lsi_sorts_and_is_sparse, paging_through_ties, gsi_resumes_from_last_key }
            scan { scan_pages_cover_table, parallel_scan_partitions_by_partition_key, segment_out_of_range_rejected, scan_limit_and_filter }
            errors { table_not_found_before_create, create_table_is_idempotent, get_missing_is_none, projection_of_nested_paths, overlapping_projection_rejected, key_shape_is_checked, repository_is_shareable }
            entities { create_then_get, create_existing_is_already_exists, put_replaces, timestamps_are_written, update_upserts_and_returns_entity, update_recomposes_index_keys, patch_requires_existing, delete_returns_old_and_honours_condition, invalid_key_parts_rejected, validation_hook_runs_before_write, query_reads_only_its_entity, query_sort_conditions, index_query_paginates_with_cursor, stream_reads_all_pages, bad_cursors_rejected, sparse_entity_index, collection_returns_several_types, batches_chunk_beyond_limits, batch_put_checks_everything_first, transaction_closure, transaction_create_conflict, version_attribute_locks, padded_numbers_sort_numerically, get_checks_entity_type }
            write_paths { stale_put_is_version_conflict_everywhere, batch_write_of_versioned_entity_is_refused, update_and_patch_check_the_version, delete_checks_the_version, transaction_actions_check_the_version, key_attributes_change_only_by_rekey, managed_attributes_cannot_be_updated, creation_time_never_changes, put_removes_what_the_entity_left_out, writes_never_touch_another_entity_type, update_creates_only_whole_entities, validation_hook_guards_updates, misspelled_query_attributes_are_errors, fields_named_like_key_attributes_are_refused, consistent_get_reads_own_write, entities_that_do_not_read_back_are_refused }
            typed { table_pattern_sorts_by_typed_prefix, index_pattern_matches_dynamic_query, integer_sort_fields_take_integers, scan_reads_one_entity_type, count_and_projection, get_many_keeps_the_callers_order, collection_decodes_each_variant, read_then_write_retries_after_a_change, keys_only_index_follow }
            generated { create_generates_ids_and_defaults, ttl_expires_by_sweep, schema_versions_upgrade_and_migrate, timestamps_in_index_keys }
            unique { create_guards_each_unique_value, writes_swap_and_release_guards, failed_write_leaves_guards_as_they_were, paths_without_guards_refuse, sensitive_values_are_redacted, encrypted_fields_are_sealed_and_keys_rotate }
            multikey { partition_orders_by_sort_attributes_by_type, sort_conditions_on_a_leading_run, sparse_without_every_key_attribute, index_follows_every_write, pages_carry_every_index_key_attribute, key_condition_rules, writes_check_every_index_key_attribute, entity_index_must_match_the_table, dynamic_attributes_are_checked, other_entity_types_share_the_attributes }
            concurrency { concurrent_creates_one_wins, concurrent_adds_are_atomic, concurrent_transactions_keep_invariants }
        );
    };
}
