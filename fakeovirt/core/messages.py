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

# -- finalize -----------------------------------------------------------------
FINALIZE_ACTIVE_TRANSFER = "Cannot stop VM backup. There is an active image transfer for VM backup"
FINALIZE_ALREADY_STOPPED = (
    "vm '{vm}' backup '{id}' is already stopped, no need to stop the backup again"
)
FINALIZE_ALREADY = (
    "vm '{vm}' backup '{id}' is already in '{phase}' phase, no need to stop the backup again"
)

# -- checkpoints ----------------------------------------------------------------
CHECKPOINT_DURING_BACKUP = "Cannot remove checkpoint. The VM is during a backup operation."

# -- image transfers -------------------------------------------------------------
TRANSFER_DISK_NOT_EXIST = "Cannot transfer Virtual Disk. Disk {id} does not exist."
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
TRANSFER_DISK_LOCKED = "Cannot transfer Virtual Disk: The following disks are locked: {aliases}."
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

SNAPSHOT_FOR_BACKUP = "Auto-generated for Backup VM"
ACTIVE_SNAPSHOT = "Active VM"

__all__ = [name for name in dir() if name.isupper()]
