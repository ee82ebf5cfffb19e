# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash
#
# Which VM test runs in which VM, on which tier: the one list of them.
# Sourced by tests.sh (in the VM), check.sh and selftests/run (on the
# host); it only sets arrays.  A test is a function t_NAME in one of the
# area files beside this one; a new test goes into its area's list here.
#
# check.sh boots, on each kernel tier, three VMs: the suite (two edu
# devices), the NIC VM (QEMU's igb PF with VFs, vmtest.sh --igb) and the
# stress VM (alone; on the second tier with kmemleak on).  On the first
# tier, also the libvirt VM (three edu devices).
# shellcheck disable=SC2034	# the arrays are read by whoever sources this

# ---- the suite: tests.sh runs these, in this order, when none is named ----

# attach.sh: attaching, replacing, detaching; what a program may trap.
ATTACH_TESTS=(t_no_program_is_vfio_pci t_override_pass_reject
	      t_two_devices_two_programs t_attach_outlives_loader
	      t_unload_restores_passthrough t_double_attach_refused
	      t_wrong_bdf_and_unbound_device t_verifier_rejection_shows_log
	      t_kfuncs_only_for_vfmig_programs t_trapped_pages_not_mmappable
	      t_existing_mapping_zapped t_unbind_with_program_attached
	      t_replace_program_in_place t_module_pinned_while_attached)
# migration.sh: the VFIO migration uAPI driven by vfio-ops.
MIGRATION_TESTS=(t_region_program_offers_no_migration t_edu_state_moves_from_a_to_b
		 t_every_arc_with_p2p_and_pre_copy t_arcs_without_optional_states t_malformed_streams_refused
		 t_reset_mid_migration t_detach_mid_migration
		 t_program_errors_end_in_error_state t_state_size_limit)
# qemu.sh: QEMU 10 as the migration client.
QEMU_TESTS=(t_qemu_stop_and_copy_migration t_qemu_pre_copy_migration
	    t_qemu_iommufd_backend t_qemu_stock_vfio_pci_cannot_migrate
	    t_qemu_migrate_cancel t_qemu_incoming_from_another_program_refused)
# dirty.sh: DMA dirty logging.
DIRTY_TESTS=(t_dirty_edu_dma_reported t_dirty_vfmig_ctl t_dirty_log_edge_cases
	     t_dirty_concurrent_marks_lose_nothing
	     t_dirty_region_read_fault_loses_nothing
	     t_dirty_program_gone_fails_reports t_dirty_region_top_and_kill
	     t_dirty_start_racing_replace)
# hostile.sh: hostile programs and attachers.
HOSTILE_TESTS=(t_hostile_return_values t_attach_needs_admin t_kernel_refusals_raw
	       t_replace_old_exit_errors t_open_close_reset_notified)
# kfunc_bounds.sh: every kfunc checked against its own device.
KFUNC_BOUNDS_TESTS=(t_kfunc_bounds)
# config_writes.sh: what a program's config-space writes reach.
CONFIG_WRITE_TESTS=(t_cfg_write_sweep)
# streams.sh: streams and data fds a user gets wrong.
STREAM_TESTS=(t_data_fd_outlives_device t_every_stream_byte_flipped)
# waits.sh: waits that end.
WAIT_TESTS=(t_wait_for_program_zero_and_unbind t_budget_per_invocation)
# dma_wait.sh: the sleepable kfuncs (DMA reads, sleeps, polls, holds, log).
DMA_WAIT_TESTS=(t_dma_read_sees_device_memory t_dma_read_huge_pages
		t_dma_read_races_unmap t_usleep_bounded t_bar_poll t_log_rate_limited
		t_hold_accesses t_hold_ends_at_budget t_hold_detach_releases)
# traps.sh: ways around a trap window, each closed.
TRAP_TESTS=(t_ioeventfd_cannot_bypass_window t_unbind_keeps_traps_until_close)
# user_fault.sh: user memory that faults under a callback.
USER_FAULT_TESTS=(t_save_read_fault_holds_no_lock t_resume_write_fault_holds_no_lock
		  t_region_read_fault_holds_no_lock)
# vendor_kit.sh: what a vendor's program and the kit meet.
VENDOR_KIT_TESTS=(t_ids_refused_by_kernel t_no_ids_needs_force t_inspect_object
		  t_state_format_upgrade t_edu_vendor_region t_region_add_hostile_args
		  t_template_builds_out_of_tree t_compat_other_subsystem
		  t_compat_hostile_returns t_abi_newer_refused)
# operator.sh: vfmig-ctl, replace, devices.conf, release.
OPERATOR_TESTS=(t_ctl_backends t_replace_under_load t_ctl_stream_through_a_pipe
		t_config_attaches_on_bind t_release_to_previous_driver)
# pf_channel.sh: the PF channel; an edu device is no VF (the NIC VM's
# tests are PF_CHANNEL_TESTS, below).
PF_CHANNEL_EDU_TESTS=(t_pf_not_a_vf)
# refuse.sh: refusals that keep the device.
REFUSE_TESTS=(t_refusals_keep_the_device t_qemu_refusals_keep_the_source)
# prepare.sh: the destination prepares from pre-copy units as they arrive.
PREPARE_TESTS=(t_prepare_per_precopy_unit t_prepare_hostile_returns)

SUITE_TESTS=("${ATTACH_TESTS[@]}" "${MIGRATION_TESTS[@]}" "${QEMU_TESTS[@]}"
	     "${DIRTY_TESTS[@]}" "${HOSTILE_TESTS[@]}" "${KFUNC_BOUNDS_TESTS[@]}"
	     "${CONFIG_WRITE_TESTS[@]}" "${STREAM_TESTS[@]}" "${WAIT_TESTS[@]}"
	     "${DMA_WAIT_TESTS[@]}"
	     "${TRAP_TESTS[@]}" "${USER_FAULT_TESTS[@]}" "${VENDOR_KIT_TESTS[@]}"
	     "${OPERATOR_TESTS[@]}" "${REFUSE_TESTS[@]}" "${PF_CHANNEL_EDU_TESTS[@]}"
	     "${PREPARE_TESTS[@]}" t_dmesg_clean)

# On the second tier (KASAN, lockdep, IOMMUFD under TCG, 3-5 times slower),
# CI time goes to what only it can tell.  Left out of its suite: QEMU's own
# behaviour (its IOMMUFD test stays), what runs in user space only or in
# the driver core, and refusals that are a comparison; a hold's budget is
# a clock check whose locking the other hold tests cover.
TIER2_SKIP=(t_qemu_stop_and_copy_migration t_qemu_pre_copy_migration
	    t_qemu_stock_vfio_pci_cannot_migrate t_qemu_migrate_cancel
	    t_qemu_incoming_from_another_program_refused t_qemu_refusals_keep_the_source
	    t_inspect_object
	    t_template_builds_out_of_tree t_ids_refused_by_kernel t_ctl_stream_through_a_pipe
	    t_release_to_previous_driver t_compat_other_subsystem t_hold_ends_at_budget
	    t_config_attaches_on_bind t_ctl_backends t_dirty_vfmig_ctl)

# ---- the NIC VM (vmtest.sh --igb): nic.sh, linux_guest.sh, pf_channel.sh,
# and kfunc_bounds.sh's and hostile.sh's tests that need the igb PF ----

# The Linux guest (linux_guest.sh): one run a tier, each several
# conditions at once: on Debian's kernel THP and igbvf's defaults; on the
# second, where QEMU uses the device's DMA log, hugetlbfs with
# 4096-descriptor rings and MTU 9000.  First in their VM.
LINUX_GUEST_TIER1=(t_linux_guest_thp)
LINUX_GUEST_TIER2=(t_linux_guest_hugetlbfs_jumbo)
# pf_channel.sh: the igb provider's view, a destination only the PF's view
# tells apart, hostile calls, the provider and the VF gone mid-call.
PF_CHANNEL_TESTS=(t_pf_igb_view t_pf_destination_view_differs t_pf_hostile_calls
		  t_pf_provider_gone_mid_call t_pf_vf_unbound_mid_call)
# multifd.sh: a guest with two VFs migrated with QEMU's multifd device
# state transfer on and off (four VFs while it runs, two again after).
# First tier only: 1.5 min there, 3-5 times that on the second.
MULTIFD_TESTS=(t_nic_multifd_two_vfs)
# t_lockdown_refuses_attach comes last: lockdown cannot be lifted.
NIC_TESTS=(t_sriov_pf_like_vfio_pci t_kfunc_msix_out_of_reach t_nic_payload_on_vfio_pci
	   t_nic_vfmig_ctl_save_restore t_nic_qemu_migration t_nic_qemu_migrate_cancel
	   t_nic_qemu_switchover_ack_prepared t_nic_qemu_cancel_after_prepare
	   t_nic_qemu_incoming_another_program_refused
	   t_nic_reset_during_and_after_migration t_nic_destination_pf_differs
	   t_nic_cfg_write_sweep t_nic_rx_reports_follow_write_backs
	   t_nic_source_resumed_takes_filters_back
	   "${PF_CHANNEL_TESTS[@]}" "${MULTIFD_TESTS[@]}"
	   t_lockdown_refuses_attach)
# The second tier's NIC VM: migration through the IOMMUFD backend is the
# Linux guest's run; not what QEMU does the same on both tiers (resets
# during migration, whose locking lockdep checked there once, run on the
# first tier and in the edu suite here).
NIC_TIER2_TESTS=(t_sriov_pf_like_vfio_pci t_kfunc_msix_out_of_reach
		 t_nic_cfg_write_sweep t_nic_rx_reports_follow_write_backs
		 t_pf_igb_view t_pf_hostile_calls
		 t_pf_provider_gone_mid_call t_pf_vf_unbound_mid_call
		 t_lockdown_refuses_attach)

# ---- VMs of their own ----

# stress.sh: the stress run, alone (the second tier's with kmemleak on).
STRESS_TESTS=(t_stress_attach_access_migrate)
# install.sh: after selftests/install_test.sh, in the stress VM of the
# first tier (the DKMS-built module of the Debian kernel).
INSTALL_TESTS=(t_dkms_module_loads)
# libvirt.sh: the first tier, three edu devices (vmtest.sh --edu 3).
LIBVIRT_TESTS=(t_libvirt_start_save_restore t_libvirt_migrate)
