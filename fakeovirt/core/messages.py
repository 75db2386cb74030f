"""Every text a user of fakeovirt can read: fault details and event descriptions.

Texts copied from the engine keep its wording (and its grammar) so that code
matching on them behaves as it would against a real engine.
"""

from __future__ import annotations

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
# "transfer Virtual Disk" (VAR__ACTION__* / VAR__TYPE__*, APPERR:1204,1208,1261,1375).
INCOMPLETE_PARAMETERS = "Incomplete parameters"  # restapi logging/Messages.properties:5-6
SNAPSHOT_DESCRIPTION_REQUIRED = "Snapshot [description] required for doAdd"
SNAPSHOT_DESCRIPTION_EMPTY = "Snapshot description cannot be empty"  # 1140
SNAPSHOT_DESCRIPTION_INVALID = (  # 1138
    "Snapshot description must be formed only from alpha-numeric characters and special "
    "characters that conform to the standard ASCII character set."
)
SNAPSHOT_DESCRIPTION_MAX = "Snapshot description must not exceed 4000 characters"  # 1139
LOCK_SNAPSHOT_BEING_TAKEN = "Cannot {what}. Snapshot is currently being created for VM {name}."
LOCK_VM_DURING_BACKUP = "Cannot {what}. The VM is during a backup operation."  # 1688
LOCK_DISK_LOCKED = "Cannot {what}: Disk is locked. Please try again later."  # 126
LOCK_DISK_TRANSFERRED = "Cannot {what}. Disk {name} is being transferred."  # 144
VM_NOT_FOUND = "Cannot {what}. VM is not found."  # 677
DISKS_NOT_EXIST = "Cannot {what}. The following disk(s) ID(s) does not exist: {ids}."  # 117
DISK_SNAPSHOT_NOT_SUPPORTED = (  # 1605
    "Cannot {what}. Snapshot is not allowed for the following disk(s): {aliases}."
)
DISKS_NOT_ATTACHED = (  # 1575
    "Cannot {what}. The following disk(s) are not attached to the VM {vm}: {aliases}."
)
VM_SAVING_RESTORING = (  # 675
    "Cannot {what}. VM is in saving/restoring state.\n"
    "-Please try again when the VM is either up or down."
)
VM_STATUS_ILLEGAL = "Cannot {what} because the VM is in {status} status."  # 695
VM_DURING_SNAPSHOT = (  # 664
    "Cannot {what}. The VM is performing an operation on a Snapshot. "
    "Please wait for the operation to finish, and try again."
)
VM_IN_PREVIEW = "Cannot {what}. VM is previewing a Snapshot."  # 651
VM_DURING_BACKUP = "Cannot {what}. The VM is during a backup operation."  # 1688
DISKS_LOCKED = (  # 116
    "Cannot {what}: The following disks are locked: {aliases}. Please try again in a few minutes."
)
DISKS_ILLEGAL = (  # 115
    "Cannot {what}. The following attached disks are in ILLEGAL status: {aliases} - "
    "please remove them and try again."
)
SNAPSHOT_IMAGE_EXISTS = "Cannot {what}. Image IDs {ids} are already used by a snapshot."  # 692
STORAGE_DOMAIN_STATUS = "Cannot {what}. The relevant Storage Domain's status is {status}."  # 548
SNAPSHOT_NOT_EXIST = "Cannot {what}. VM's Snapshot does not exist."  # 689
SNAPSHOT_NOT_REGULAR = (  # 693
    "Cannot {what}. The operation is only allowed for regular snapshots."
)
VM_NOT_DOWN_OR_UP = "Cannot {what}. VM {vm} must be in status Down, Up or Paused."  # 670
SNAPSHOT_UNPLUGGED_DISKS = (  # 119
    "Cannot {what}. The following disks are either unplugged or unattached: \n {aliases}"
)
DISK_NOT_EXIST = "Cannot {what}. The specified disk does not exist."  # 159
DISK_PLUGGED_TO_NON_DOWN_VMS = (  # 158
    "Cannot {what}. The disk {alias} is plugged to non-Down VMs: {vms}"
)
TRANSFER_NO_SIGNATURE = (  # metamodel JaxrsHelperGenerator.closeSignatureDetectionMethod
    "No matching signature found, make sure that mandatory attributes are provided."
)
INPUT_VALIDATION_FAILED = "Input validation failed."  # ValidationExceptionMapper
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

SNAPSHOT_FOR_BACKUP = "Auto-generated for Backup VM"
ACTIVE_SNAPSHOT = "Active VM"

__all__ = [name for name in dir() if name.isupper()]
