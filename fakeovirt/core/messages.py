"""Every text a user of fakeovirt can read: fault details and event descriptions.

Texts copied from the engine keep its wording (and its grammar) so that code
matching on them behaves as it would against a real engine.
"""

from __future__ import annotations

from .translate import Message

# -- generic -----------------------------------------------------------------
NOT_FOUND = "Entity not found: {kind} {id}"
UNKNOWN_PATH = "There is no resource at {path}"
METHOD_NOT_ALLOWED = "Method {method} is not allowed on {path}; allowed: {allowed}"
BAD_MAX = "Invalid value '{value}' for parameter 'max': expected a non-negative integer"
BAD_FROM = "Invalid value '{value}' for parameter 'from': expected an integer"
BAD_FLAG = "Invalid value '{value}' for parameter '{name}': expected true or false"
BAD_BODY = "Invalid request body: {reason}"
WRONG_ROOT = "Invalid request body: expected a <{expected}> document, got <{got}>"
BODY_TOO_LARGE = "Request body is larger than {limit} bytes"
INTERNAL_ERROR = "fakeovirt failed to handle this request ({error}); this is a bug in fakeovirt"

# -- authentication ----------------------------------------------------------
AUTH_REQUIRED = "Authentication is required: send a bearer token or HTTP basic credentials"
AUTH_BAD_TOKEN = "The bearer token is unknown or was revoked"
AUTH_BAD_CREDENTIALS = "Cannot authenticate user '{user}': bad credentials."

# -- backups (StartVmBackup validation, in the engine's order) ----------------
BACKUP_NO_DISKS = "Cannot backup VM. The backup must name at least one disk in <disks>."
BACKUP_DISKS_NOT_EXIST = "Cannot backup VM. The following disk(s) ID(s) does not exist: {ids}."
BACKUP_DISKS_NOT_ACTIVE = "Cannot backup VM. The following disks are not active on VM {vm}: {ids}"
BACKUP_DISKS_LOCKED = (
    "Cannot backup VM: The following disks are locked: {aliases}. "
    "Please try again in a few minutes."
)
BACKUP_CHECKPOINT_NOT_EXIST = "Cannot backup VM. Checkpoint ID {id} doesn't exist."
BACKUP_CHECKPOINT_INVALID = "Cannot backup VM. Checkpoint ID {id} is invalid and should be removed."
BACKUP_VM_STATUS = "Cannot backup VM. The Virtual Machine should be in Up or Down status."
BACKUP_VM_DURING_BACKUP = "Cannot backup VM. The VM is during a backup operation."
BACKUP_DESCRIPTION_TOO_LONG = (
    "Cannot backup VM. The VM backup description shouldn't contain more than 1024 characters."
)
BACKUP_ID_EXISTS = "Cannot backup VM. The specified VM backup ID {id} already exists."
# lock conflicts (engine profile): the message of the lock's holder
BACKUP_DISK_IS_LOCKED = "Cannot backup VM: Disk is locked. Please try again later."
BACKUP_DISK_BEING_TRANSFERRED = "Cannot backup VM. Disk {alias} is being transferred."

# -- finalize -----------------------------------------------------------------
FINALIZE_ACTIVE_TRANSFER = "Cannot stop VM backup. There is an active image transfer for VM backup"
FINALIZE_ALREADY_STOPPED = (
    "vm '{vm}' backup '{id}' is already stopped, no need to stop the backup again"
)
FINALIZE_ALREADY = (
    "vm '{vm}' backup '{id}' is already in '{phase}' phase, no need to stop the backup again"
)
# StopVmBackupCommand.java:106-108; the engine profile renders it as the engine's translator
FINALIZE_PREMATURE = "Backup '{id}' is in '{phase}' phase, premature backup stop was initiated."

# -- checkpoints ----------------------------------------------------------------
CHECKPOINT_DURING_BACKUP = "Cannot remove checkpoint. The VM is during a backup operation."

# -- the engine's validation messages for disks, attachments, VMs, NICs and events ----
# AppErrors.properties texts, keys and error types (EngineMessage.java); `translate.render`
# fills `${action} ${type}` from the command and `${X}` from the values given. Sources in
# docs/disks-and-vms.md.
VM_NOT_FOUND = Message(
    "ACTION_TYPE_FAILED_VM_NOT_FOUND", "Cannot ${action} ${type}. VM is not found.", 400
)
VM_IS_LOCKED = Message(
    "ACTION_TYPE_FAILED_VM_IS_LOCKED",
    "Cannot ${action} ${type}: VM is locked. Please try again in a few minutes.",
    409,
)
VM_STATUS_ILLEGAL = Message(
    "ACTION_TYPE_FAILED_VM_STATUS_ILLEGAL",
    "Cannot ${action} ${type} because the VM is in ${vmStatus} status.",
    409,
)
VM_IS_NOT_DOWN = Message(
    "ACTION_TYPE_FAILED_VM_IS_NOT_DOWN",
    "Cannot ${action} ${type}. At least one of the VMs is not down.",
    409,
)
VM_IS_RUNNING = Message(
    "ACTION_TYPE_FAILED_VM_IS_RUNNING", "Cannot ${action} ${type}. VM is running.", 409
)
VM_IS_NOT_RUNNING = Message(
    "ACTION_TYPE_FAILED_VM_IS_NOT_RUNNING", "Cannot ${action} ${type}. VM is not running.", 409
)
VM_IS_SAVING_RESTORING = Message(
    "ACTION_TYPE_FAILED_VM_IS_SAVING_RESTORING",
    "Cannot ${action} ${type}. VM is in saving/restoring state.\n"
    "-Please try again when the VM is either up or down.",
    409,
)
VM_IS_DURING_SNAPSHOT = Message(
    "ACTION_TYPE_FAILED_VM_IS_DURING_SNAPSHOT",
    "Cannot ${action} ${type}. The VM is performing an operation on a Snapshot. "
    "Please wait for the operation to finish, and try again.",
    409,
)
VM_IN_PREVIEW = Message(
    "ACTION_TYPE_FAILED_VM_IN_PREVIEW",
    "Cannot ${action} ${type}. VM is previewing a Snapshot.",
    409,
)
VM_IS_DURING_BACKUP = Message(
    "ACTION_TYPE_FAILED_VM_IS_DURING_BACKUP",
    "Cannot ${action} ${type}. The VM is during a backup operation.",
    409,
)
OBJECT_LOCKED = Message(
    "ACTION_TYPE_FAILED_OBJECT_LOCKED",
    "Cannot ${action} ${type}. Related operation is currently in progress. Please try again later.",
    409,
)
DISK_IS_LOCKED = Message(
    "ACTION_TYPE_FAILED_DISK_IS_LOCKED",
    "Cannot ${action} ${type}: Disk is locked. Please try again later.",
    409,
)
DISKS_LOCKED = Message(
    "ACTION_TYPE_FAILED_DISKS_LOCKED",
    "Cannot ${action} ${type}: The following disks are locked: ${diskAliases}. "
    "Please try again in a few minutes.",
    409,
)
DISK_IS_BEING_TRANSFERRED = Message(
    "ACTION_TYPE_FAILED_DISK_IS_BEING_TRANSFERRED",
    "Cannot ${action} ${type}. Disk ${DiskName} is being transferred.",
    409,
)
SNAPSHOT_IS_BEING_TAKEN_FOR_VM = Message(
    "ACTION_TYPE_FAILED_SNAPSHOT_IS_BEING_TAKEN_FOR_VM",
    "Cannot ${action} ${type}. Snapshot is currently being created for VM ${VmName}.",
    409,
)
DISK_BOOT_IN_USE = Message(
    "ACTION_TYPE_FAILED_DISK_BOOT_IN_USE",
    "Cannot ${action} ${type}. Disk ${DiskName} in VM ${VmName} is already marked as boot.",
    409,
)
FLOATING_DISK_WITH_PLUG = Message(
    "CANNOT_ADD_FLOATING_DISK_WITH_PLUG_VM_SET",
    'Cannot ${action} ${type}. A disk configured with the "Activate" setting cannot be '
    "created as a floating disk.",
    409,
)
STORAGE_DOMAIN_NOT_SPECIFIED = Message(
    "ACTION_TYPE_FAILED_STORAGE_DOMAIN_NOT_SPECIFIED",
    "Cannot ${action} ${type}. Storage Domain hasn't been specified.",
    400,
)
STORAGE_DOMAIN_NOT_EXIST = Message(
    "ACTION_TYPE_FAILED_STORAGE_DOMAIN_NOT_EXIST",
    "Cannot ${action} ${type}. Storage Domain doesn't exist.",
    400,
)
STORAGE_DOMAIN_STATUS_ILLEGAL = Message(
    "ACTION_TYPE_FAILED_STORAGE_DOMAIN_STATUS_ILLEGAL2",
    "Cannot ${action} ${type}. The relevant Storage Domain's status is ${status}.",
    409,
)
STORAGE_DOMAIN_TYPE_ILLEGAL = Message(
    "ACTION_TYPE_FAILED_STORAGE_DOMAIN_TYPE_ILLEGAL",
    "Cannot ${action} ${type}. Storage Domain type is illegal.",
    400,
)
STORAGE_DOMAIN_IS_WRONG = Message(
    "ACTION_TYPE_FAILED_STORAGE_DOMAIN_IS_WRONG",
    "Cannot ${action} ${type}. Provided wrong storage domain, which is not related to disk.",
    400,
)
STORAGE_POOL_OF_VM_NOT_MATCH = Message(
    "ACTION_TYPE_FAILED_STORAGE_POOL_OF_VM_NOT_MATCH",
    "Cannot ${action} ${type}. The target Data Center does not contain the Virtual Machine.",
    409,
)
STORAGE_POOL_NOT_MATCH = Message(
    "ACTION_TYPE_FAILED_STORAGE_POOL_NOT_MATCH",
    "Cannot ${action} ${type}. The target Data Center does not contain the ${type}.",
    409,
)
DISK_CONFIGURATION_NOT_SUPPORTED = Message(
    "ACTION_TYPE_FAILED_DISK_CONFIGURATION_NOT_SUPPORTED",
    "Cannot ${action} ${type}. Disk configuration (${volumeFormat} ${volumeType} "
    "backup-${backup}) is incompatible with the storage domain type.",
    409,
)
DISK_SPACE_LOW = Message(
    "ACTION_TYPE_FAILED_DISK_SPACE_LOW_ON_STORAGE_DOMAIN",
    "Cannot ${action} ${type}. Low disk space on Storage Domain ${storageName}.",
    409,
)
DISK_MAX_SIZE_EXCEEDED = Message(
    "ACTION_TYPE_FAILED_DISK_MAX_SIZE_EXCEEDED",
    "Cannot create disk more than ${max_disk_size} GiB",
    409,
)
SHAREABLE_NOT_SUPPORTED_BY_FORMAT = Message(
    "SHAREABLE_DISK_IS_NOT_SUPPORTED_BY_VOLUME_FORMAT",
    "Cannot ${action} ${type}. Disk's volume format is not supported for shareable disk.",
    409,
)
IMAGE_ALREADY_EXISTS = Message(
    "ACTION_TYPE_FAILED_IMAGE_ALREADY_EXISTS",
    "Cannot ${action} ${type}. One of the Template Images already exists.",
    409,
)
DISK_ALREADY_EXISTS = Message(
    "ACTION_TYPE_FAILED_DISK_ALREADY_EXISTS",
    "Cannot ${action} ${type}. The selected disk ID: ${diskID} is already used by the "
    "following existing disk: ${diskAlias}.",
    409,
)
DISK_SIZE_ZERO = Message(
    "ACTION_TYPE_FAILED_DISK_SIZE_ZERO",
    "Cannot ${action} ${type}. Disk's provisioned size has to be greater than 0.",
    400,
)
VM_IMAGE_DOES_NOT_EXIST = Message(
    "ACTION_TYPE_FAILED_VM_IMAGE_DOES_NOT_EXIST",
    "Cannot ${action} ${type}. VM's Image does not exist.\n"
    "In order to import partial VM, select 'allow partial' checkbox.",
    400,
)
DISK_NOT_EXIST = Message(
    "ACTION_TYPE_FAILED_DISK_NOT_EXIST",
    "Cannot ${action} ${type}. The specified disk does not exist.",
    400,
)
DISK_NOT_ATTACHED_TO_VM = Message(
    "ACTION_TYPE_FAILED_DISK_NOT_ATTACHED_TO_VM",
    "Cannot ${action} ${type}. The disk ${DiskName} is not attached to the VM ${VmName}.",
    400,
)
ILLEGAL_DISK_OPERATION = Message(
    "ACTION_TYPE_FAILED_ILLEGAL_DISK_OPERATION",
    "Cannot ${action} ${type}. Disk is in an illegal state. "
    "Disks in an illegal state can only be deleted.",
    400,
)
DISK_ALREADY_ATTACHED = Message(
    "ACTION_TYPE_FAILED_DISK_ALREADY_ATTACHED",
    "Cannot ${action} ${type}. The disk is already attached to VM.",
    409,
)
NOT_SHAREABLE_DISK_ALREADY_ATTACHED = Message(
    "ACTION_TYPE_FAILED_NOT_SHAREABLE_DISK_ALREADY_ATTACHED",
    "Cannot ${action} ${type}. The disk is not shareable and is already attached to a VM.",
    409,
)
DETACH_NOT_ATTACHED = Message(
    "ACTION_TYPE_FAILED_CANNOT_DETACH_DISK_IS_NOT_ATTACHED_TO_VM",
    "Cannot ${action} ${type}. The specified disk is not attached to the VM ${VmName}.",
    400,
)
DETACH_DISK_WITH_SNAPSHOT = Message(
    "ERROR_CANNOT_DETACH_DISK_WITH_SNAPSHOT",
    "Cannot ${action} ${type}. The disk is already configured in a snapshot. "
    "In order to detach it, remove the disk's snapshots.",
    409,
)
HOT_PLUG_IDE_NOT_SUPPORTED = Message(
    "HOT_PLUG_IDE_DISK_IS_NOT_SUPPORTED",
    "Cannot ${action} ${diskAlias} to ${vmName}. "
    "Hot plugging a disk to an IDE interface is not supported.",
    400,
)
HOT_PLUG_DISK_IS_NOT_UNPLUGGED = Message(
    "HOT_PLUG_DISK_IS_NOT_UNPLUGGED", "Disk is already activated.", 409
)
HOT_UNPLUG_DISK_IS_NOT_PLUGGED = Message(
    "HOT_UNPLUG_DISK_IS_NOT_PLUGGED", "Disk is already deactivated.", 409
)
DISK_INTERFACE_UNSUPPORTED = Message(
    "ACTION_TYPE_DISK_INTERFACE_UNSUPPORTED",
    "Cannot ${action} ${type}: The disk interface is not supported by the VM OS: ${osName}.",
    400,
)
READ_ONLY_NOT_SUPPORTED = Message(
    "ACTION_TYPE_FAILED_INTERFACE_DOES_NOT_SUPPORT_READ_ONLY_ATTR",
    "Cannot ${action} ${type}. ${interface} disks can't be read-only.",
    400,
)
PASS_DISCARD_NOT_SUPPORTED = Message(
    "ACTION_TYPE_FAILED_PASS_DISCARD_NOT_SUPPORTED_BY_DISK_INTERFACE",
    "Cannot ${action} ${type}. Enable discard for ${diskAlias} is supported only by "
    "VirtIO-SCSI and IDE disk interfaces.",
    400,
)
DISK_SIZE_TOO_SMALL = Message(
    "ACTION_TYPE_FAILED_REQUESTED_DISK_SIZE_IS_TOO_SMALL",
    "Cannot ${action} ${type}. New disk size must be larger than the current disk size.",
    400,
)
CANNOT_RESIZE_READ_ONLY_DISK = Message(
    "ACTION_TYPE_FAILED_CANNOT_RESIZE_READ_ONLY_DISK",
    "Cannot ${action} ${type}. Read-only disk cannot be resized.",
    409,
)
INCREMENTAL_BACKUP_FOR_RAW = Message(
    "ACTION_TYPE_FAILED_INCREMENTAL_BACKUP_NOT_SUPPORTED_FOR_RAW_DISK",
    "Cannot ${action} ${type}. Incremental backup is not supported for RAW format disks.",
    400,
)
CLUSTER_CAN_NOT_BE_EMPTY = Message(
    "ACTION_TYPE_FAILED_CLUSTER_CAN_NOT_BE_EMPTY",
    "Cannot ${action} ${type}. The relevant Cluster doesn't exist.",
    400,
)
NAME_MAY_NOT_BE_EMPTY = Message(
    "ACTION_TYPE_FAILED_NAME_MAY_NOT_BE_EMPTY",
    "Can not ${action} ${type}. The given name is empty.",
    400,
)
NAME_TOO_LONG = Message(
    "ACTION_TYPE_FAILED_NAME_LENGTH_IS_TOO_LONG",
    "Cannot ${action} ${type}. The given name is too long.",
    400,
)
NAME_SPECIAL_CHARS = Message(
    "ACTION_TYPE_FAILED_NAME_MAY_NOT_CONTAIN_SPECIAL_CHARS",
    "Can not ${action} ${type}. The given name contains special characters. Only lower-case "
    "and upper-case letters, numbers, '_', '-', '.' are allowed.",
    400,
)
NAME_ALREADY_USED = Message(
    "ACTION_TYPE_FAILED_NAME_ALREADY_USED",
    "Cannot ${action} ${type}. The ${type} name is already in use, please choose a unique "
    "name and try again.",
    409,
)
VM_ID_EXISTS = Message(
    "VM_ID_EXISTS",
    "Cannot ${action} ${type}. VM with the given Id already exists in the system.",
    400,
)
VM_SNAPSHOT_DOES_NOT_EXIST = Message(  # APPERR:689
    "ACTION_TYPE_FAILED_VM_SNAPSHOT_DOES_NOT_EXIST",
    "Cannot ${action} ${type}. VM's Snapshot does not exist.",
    400,
)
VM_SNAPSHOT_TYPE_NOT_REGULAR = Message(  # APPERR:693
    "ACTION_TYPE_FAILED_VM_SNAPSHOT_TYPE_NOT_REGULAR",
    "Cannot ${action} ${type}. The operation is only allowed for regular snapshots.",
    409,
)
INVALID_SNAPSHOT_STATUS = Message(  # APPERR:694
    "ACTION_TYPE_FAILED_INVALID_SNAPSHOT_STATUS",
    "Cannot ${action} ${type}. The snapshot is in ${SnapshotStatus} status.",
    409,
)
DISK_SNAPSHOT_ATTACHED_TO_ANOTHER_VM = Message(  # APPERR:624
    "ACTION_TYPE_FAILED_VM_DISK_SNAPSHOT_IS_ATTACHED_TO_ANOTHER_VM",
    "Cannot ${action} ${type}. The following VM's disks snapshots are attached to other VMs "
    "(Disk Alias/Snapshot Description/VM attached to):\n\n ${disksInfo} \n\n"
    "Please detach them from those VMs and try again.",
    409,
)
MIN_MEMORY_EXCEEDS_MEMORY = Message(
    "ACTION_TYPE_FAILED_MIN_MEMORY_CANNOT_EXCEED_MEMORY_SIZE",
    "Cannot ${action} ${type}. Physical Memory Guaranteed cannot exceed Memory Size.",
    400,
)
DELETE_PROTECTION_ENABLED = Message(
    "ACTION_TYPE_FAILED_DELETE_PROTECTION_ENABLED",
    "Cannot ${action} ${type}. Delete protection is enabled. In order to delete, disable "
    "Delete protection first.",
    409,
)
REMOVE_WITH_DETACH_SNAPSHOTS_EXIST = Message(
    "VM_CANNOT_REMOVE_WITH_DETACH_DISKS_SNAPSHOTS_EXIST",
    "Cannot ${action} ${type} with detaching disks, snapshots exist.",
    409,
)
REMOVE_SUSPENDED_VM = Message(
    "VM_CANNOT_REMOVE_VM_WHEN_STATUS_IS_NOT_DOWN",
    "Cannot remove VM that its state is not down.\n-Please stop the VM first.",
    409,
)
RUN_WITHOUT_DISK = Message(
    "VM_CANNOT_RUN_FROM_DISK_WITHOUT_DISK",
    "Cannot ${action} ${type} without at least one bootable disk.\nAlternatives:\n"
    "- Create a disk for this VM, and rerun the VM.\n"
    "- Change the boot sequence using the Edit VM command (Boot Option Sub-Tab).\n"
    "- Use the 'Run Once' command to select a different boot option and rerun the VM.",
    409,
)
NO_HOST_FOR_VM = Message(
    "SCHEDULING_ALL_HOSTS_FILTERED_OUT",
    "Cannot ${action} ${type}. There is no host that satisfies current scheduling "
    "constraints. See below for details:",
    409,
)
IMPORT_VM_EXISTS = Message(
    "VM_CANNOT_IMPORT_VM_EXISTS",
    "Import VM failed - VM ID already exists in the system. Please remove the VM "
    "(${VmName}) from the system first",
    409,
)
IMPORT_VM_NAME_EXISTS = Message(
    "VM_CANNOT_IMPORT_VM_NAME_EXISTS",
    "Import VM failed - VM Name already exists in the Data Center. Please rename the VM in "
    "the Data Center first",
    409,
)
IMPORT_MAC_DUPLICATES = Message(
    "ACTION_TYPE_FAILED_CANNOT_ADD_IFACE_DUE_TO_MAC_DUPLICATES",
    "Cannot import Virtual Machine, because that action would create duplicates in target "
    "MAC pool, which are not allowed. Either allow duplicate MACs in MAC Pool, or allow "
    "reassignment of bad MACs during import. Problematic NICs are "
    "${ACTION_TYPE_FAILED_CANNOT_ADD_IFACE_DUE_TO_MAC_DUPLICATES_LIST}",
    409,
)
EXTERNAL_EVENT_ILLEGAL_ORIGIN = Message(
    "ACTION_TYPE_FAILED_EXTERNAL_EVENT_ILLEGAL_ORIGIN",
    "Cannot ${action} ${type}. Illegal Origin for External Event : oVirt",
    400,
)
EXTERNAL_EVENT_DUPLICATE_CUSTOM_ID = Message(  # sic: the properties line is `KEY==Cannot…`
    "ACTION_TYPE_FAILED_EXTERNAL_EVENT_DUPLICATE_CUSTOM_ID",
    "=Cannot ${action} ${type}. External Event with this custom id already exists.",
    400,
)
NIC_NAME_IN_USE = Message(
    "NETWORK_INTERFACE_NAME_ALREADY_IN_USE", "Network interface name is already in use", 409
)
NIC_VM_STATUS = Message(
    "NETWORK_CANNOT_ADD_INTERFACE_WHEN_VM_STATUS_NOT_UP_DOWN_LOCKED",
    "Cannot ${action} a Network Interface when VM is not Down, Up or Image-Locked.",
    409,
)
VNIC_PROFILE_NOT_EXISTS = Message(
    "ACTION_TYPE_FAILED_VNIC_PROFILE_NOT_EXISTS",
    "Cannot ${action} ${type}. The specified VM network interface profile doesn't exist.",
    400,
)
NETWORK_NOT_IN_CLUSTER = Message(
    "NETWORK_NOT_EXISTS_IN_CURRENT_CLUSTER",
    "The specified Logical Network doesn't exist in the current Cluster.",
    409,
)
MAC_ADDRESS_IN_USE = Message(
    "NETWORK_MAC_ADDRESS_IN_USE",
    "MAC Address ${MacAddress} is already in use by VM or snapshot: ${VmName}.",
    409,
)

# -- the REST layer's own refusals ----------------------------------------------------------
INCOMPLETE_PARAMETERS = "{kind} [{fields}] required for {method}"  # CompletenessAssertor
ENTITY_NOT_FOUND = "Entity not found: {identifier}"  # restapi Messages.properties
OVF_NOT_PARSED = "failed to parse a given ovf configuration {reason}"  # lower-cased by the engine

# -- events of disks, VMs and NICs (AuditLogMessages.properties) --------------------------------
EVENT_ADD_DISK = "Add-Disk operation of '{disk}' was initiated by {user}."
EVENT_ADD_DISK_FINISHED = "The disk '{disk}' was successfully added."
EVENT_ADD_DISK_TO_VM = "Add-Disk operation of {disk} was initiated on VM {vm} by {user}."
EVENT_ADD_DISK_TO_VM_FINISHED = "The disk {disk} was successfully added to VM {vm}."
EVENT_REMOVE_DISK = "Disk {disk} was successfully removed from domain {domain} (User {user})."
EVENT_REMOVE_DISK_OF_VMS = (
    "Disk {disk} associated to the VMs {vms} was successfully removed from domain {domain} "
    "(User {user})."
)
EVENT_ATTACH_DISK = "Disk {disk} was successfully attached to VM {vm} by {user}."
EVENT_DETACH_DISK = "Disk {disk} was successfully detached from VM {vm} by {user}."
EVENT_HOTPLUG_DISK = "VM {vm} disk {disk} was plugged by {user}."
EVENT_HOTUNPLUG_DISK = "VM {vm} disk {disk} was unplugged by {user}."
EVENT_UPDATE_VM_DISK = "VM {vm} {disk} disk was updated by {user}."
EVENT_EXTEND_DISK = "Size of the disk '{disk}' was successfully updated to {size} GB by {user}."
EVENT_ADD_VM = "VM {vm} was created by {user}."
EVENT_ADD_VM_STARTED = "VM {vm} creation was initiated by {user}."  # ALM:15
EVENT_ADD_VM_FINISHED = "VM {vm} creation has been completed."  # ALM:16
EVENT_REMOVE_VM = "VM {vm} was successfully removed by {user}."
EVENT_STARTED_VM = "VM {vm} was started by {user} (Host: {host})."
EVENT_RUN_VM = "VM {vm} started on Host {host}"
EVENT_RESUME_VM = "VM {vm} was resumed by {user} (Host: {host})."
EVENT_STOP_VM = "VM {vm} powered off by {user} (Host: {host}){reason}."
EVENT_STOPPED_INSTEAD_OF_SHUTDOWN = (
    "VM {vm} was powered off ungracefully by {user} (Host: {host}){reason}."
)
EVENT_SHUTDOWN_VM = "VM shutdown initiated by {user} on VM {vm} (Host: {host}){reason}."
EVENT_VM_DOWN = "VM {vm} is down. {exit}"
EVENT_VM_ALREADY = "VM {vm} is already {status}, {action} was skipped. User: {user}."
EVENT_IMPORT_FROM_CONFIGURATION = (
    "VM {vm} has been successfully imported from the given configuration."
)
EVENT_IMPORT_ATTACH_FAILED = (
    "VM {vm} has been imported from the given configuration but the following disk(s) "
    "failed to attach: {disks}."
)
EVENT_ADD_NIC = "Interface {nic} ({interface}) was added to VM {vm}. (User: {user})"

# -- image transfers -------------------------------------------------------------
TRANSFER_BAD_DIRECTION = "Invalid image transfer direction '{value}': expected upload or download"
TRANSFER_BAD_FORMAT = "Invalid image transfer format '{value}': expected raw or cow"
TRANSFER_BAD_TIMEOUT_POLICY = "Invalid timeout policy '{value}': expected legacy, pause or cancel"
TRANSFER_NO_DISK = "Cannot transfer Virtual Disk. Image was not specified for download."
TRANSFER_BACKUP_NOT_EXIST = "Cannot transfer Virtual Disk. The specified VM backup does not exist."
TRANSFER_BACKUP_NOT_READY = (
    "Cannot transfer Virtual Disk. The VM backup is not in READY phase, backup phase is {phase}."
)
TRANSFER_FORMAT_NOT_FOR_BACKUP = (
    "Cannot transfer Virtual Disk. The specified format is not applicable for VM backup."
)
TRANSFER_UPLOAD_WITH_BACKUP = (
    "Cannot transfer Virtual Disk. A VM backup can only be downloaded, not uploaded to."
)
TRANSFER_DISK_NOT_IN_BACKUP = (
    "Cannot transfer Virtual Disk. Disk {disk} is not part of VM backup {backup}."
)
TRANSFER_CANNOT_PAUSE_DOWNLOAD = (
    "Cannot pause image download as it's handled by the client. "
    "Note that it can be canceled if you wish to stop it."
)
TRANSFER_CANNOT_RESUME = "Cannot resume image transfer as it's not in a paused state."
TRANSFER_FINISHED = "Cannot {action} image transfer {id}: it is already in phase {phase}."
TICKET_NOT_FOUND = "No such ticket {id}"  # ovirt-imageio _internal/auth.py:434

# -- events (code, severity, text) -----------------------------------------------
EVENT_BACKUP_STARTED = "Backup {backup} for VM {vm} started (User: {user})."
EVENT_BACKUP_FAILED = "Backup {backup} for VM {vm} failed (User: {user})."
EVENT_BACKUP_SUCCEEDED = "Backup {backup} for VM {vm} completed successfully (User: {user})."
EVENT_BACKUP_FINALIZED = "Backup {backup} for VM {vm} finalized (User: {user})."
EVENT_BACKUP_FAILED_TO_FINALIZE = "Backup {backup} for VM {vm} failed to finalize (User: {user})."
EVENT_BACKUP_STOPPED = "Backup {backup} for VM {vm} stopped (User: {user})."
EVENT_CHECKPOINT_DELETED = "Checkpoint {checkpoint} for VM {vm} deleted (User: {user})."
EVENT_SNAPSHOT_STARTED = "Snapshot '{snapshot}' creation for VM '{vm}' was initiated by {user}."
EVENT_SNAPSHOT_FINISHED = "Snapshot '{snapshot}' creation for VM '{vm}' has been completed."
EVENT_FREEZE_FAILED = (
    "Failed to freeze guest filesystems on VM {vm}. "
    "Note that using the created snapshot might cause data inconsistency."
)
EVENT_TRANSFER_INITIATED = "Image {direction} with disk {disk} was initiated by {user}."
EVENT_TRANSFER_SUCCEEDED = "Image {direction} with disk {disk} succeeded."
EVENT_TRANSFER_CANCELLED = "Image {direction} with disk {disk} was cancelled."
EVENT_TRANSFER_FAILED = "Image {direction} with disk {disk} failed."

EVENT_UPLOAD_PAUSED_TIMEOUT = (
    "Upload was paused by system. Reason: timeout due to transfer inactivity."
)
EVENT_DOWNLOAD_CANCELED_TIMEOUT = (
    "Download was canceled by system. Reason: timeout due to transfer inactivity."
)
EVENT_TRANSFER_CANCELED_ON_TIMEOUT = (
    "The transfer was canceled by the system according to the timeout policy. "
    "Reason: client inactivity timeout."
)
EVENT_TRANSFER_PAUSED_ON_TIMEOUT = (
    "The transfer was paused by the system according to the timeout policy. "
    "Reason: client inactivity timeout."
)

# -- snapshots, disk snapshots and transfers of volumes (AppErrors.properties: line) ---------
# `{what}` is the command's "<action> <type>": "create Snapshot", "remove Snapshot",
# "transfer Virtual Disk" (VAR__ACTION__* / VAR__TYPE__*, APPERR:1204,1208,1261,1375). A text
# that is already a `Message` above is rendered from it (`translate.render_for`), not repeated.
INCOMPLETE_PARAMETERS_REASON = "Incomplete parameters"  # restapi logging/Messages.properties:5-6
SNAPSHOT_DESCRIPTION_EMPTY = "Snapshot description cannot be empty"  # 1140
SNAPSHOT_DESCRIPTION_INVALID = (  # 1138
    "Snapshot description must be formed only from alpha-numeric characters and special "
    "characters that conform to the standard ASCII character set."
)
SNAPSHOT_DESCRIPTION_MAX = "Snapshot description must not exceed 4000 characters"  # 1139
DISKS_NOT_EXIST = "Cannot {what}. The following disk(s) ID(s) does not exist: {ids}."  # 117
DISK_SNAPSHOT_NOT_SUPPORTED = (  # 1605
    "Cannot {what}. Snapshot is not allowed for the following disk(s): {aliases}."
)
DISKS_NOT_ATTACHED = (  # 1575
    "Cannot {what}. The following disk(s) are not attached to the VM {vm}: {aliases}."
)
DISKS_ILLEGAL = (  # 115
    "Cannot {what}. The following attached disks are in ILLEGAL status: {aliases} - "
    "please remove them and try again."
)
SNAPSHOT_IMAGE_EXISTS = "Cannot {what}. Image IDs {ids} are already used by a snapshot."  # 692
VM_NOT_DOWN_OR_UP = "Cannot {what}. VM {vm} must be in status Down, Up or Paused."  # 670
SNAPSHOT_UNPLUGGED_DISKS = (  # 119
    "Cannot {what}. The following disks are either unplugged or unattached: \n {aliases}"
)
DISK_PLUGGED_TO_NON_DOWN_VMS = (  # 158
    "Cannot {what}. The disk {alias} is plugged to non-Down VMs: {vms}"
)
TRANSFER_NO_SIGNATURE = (  # metamodel JaxrsHelperGenerator.closeSignatureDetectionMethod
    "No matching signature found, make sure that mandatory attributes are provided."
)
INPUT_VALIDATION_FAILED = "Input validation failed."  # ValidationExceptionMapper
NOT_MODELLED_REASON = "Not modelled"  # the reason of what fakeovirt refuses as not modelled
SNAPSHOT_ATTACHMENT_UPDATE = (
    "fakeovirt does not model plugging, unplugging or editing a disk snapshot attached to a VM"
)
TRANSFER_INTO_SNAPSHOT = (
    "Cannot transfer Virtual Disk. fakeovirt does not model an upload into disk snapshot "
    "{image}: upload into the disk's active volume"
)
EVENT_SNAPSHOT_REMOVE_STARTED = (  # ALM:58
    "Snapshot '{snapshot}' deletion for VM '{vm}' was initiated by {user}."
)
EVENT_SNAPSHOT_REMOVE_FINISHED = "Snapshot '{snapshot}' deletion for VM '{vm}' has been completed."
JOB_CREATE_SNAPSHOT = "Creating VM Snapshot {snapshot} for VM {vm}"  # ExecutionMessages:61
JOB_REMOVE_SNAPSHOT = "Removing Snapshot {snapshot} of VM {vm}"  # ExecutionMessages:97
# The descriptions of the other jobs (ExecutionMessages.properties), as commands start them:
JOB_BACKUP_VM = "Backing up VM {vm}"
JOB_ADD_DISK = "Adding Disk {disk}"
JOB_REMOVE_DISK = "Removing Disk {disk}"
JOB_UPDATE_DISK_VMS = "Updating Disk {disk} properties for VMs: {vms}"
JOB_ADD_EXTERNAL_EVENT = "Adding an External Event"
JOB_ADD_VM = "Creating VM {vm} in Cluster {cluster}"
JOB_ADD_VM_FROM_SNAPSHOT = "Creating VM {vm} from Snapshot {snapshot} in Cluster {cluster}"
JOB_IMPORT_VM = "Importing VM {vm} from configuration to Cluster {cluster}"
JOB_REMOVE_VM = "Removing VM {vm} from system"
JOB_RUN_VM = "Launching VM {vm}"
JOB_STOP_VM = "Stopping VM {vm}"
JOB_SHUTDOWN_VM = "Shutting down VM {vm}"

SNAPSHOT_FOR_BACKUP = "Auto-generated for Backup VM"
ACTIVE_SNAPSHOT = "Active VM"

__all__ = [name for name in dir() if name.isupper()]
