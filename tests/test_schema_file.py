"""The oVirt v4 schema file (schemas/api.xsd) loads and accepts/rejects sample documents.

This test reads the XSD by path and does not import fakeovirt.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema

XSD_PATH = Path(__file__).parent.parent / "schemas" / "api.xsd"

BACKUP_COMPACT = (
    '<backup href="/ovirt-engine/api/vms/v1/backups/b1" id="b1"><actions>'
    '<link href="/ovirt-engine/api/vms/v1/backups/b1/finalize" rel="finalize"/></actions>'
    '<link href="/ovirt-engine/api/vms/v1/backups/b1/disks" rel="disks"/>'
    "<creation_date>2024-05-01T10:20:30.123+00:00</creation_date>"
    "<from_checkpoint_id>cp-41</from_checkpoint_id>"
    "<modification_date>2024-05-01T10:20:30.123+00:00</modification_date>"
    "<phase>initializing</phase><to_checkpoint_id>cp-42</to_checkpoint_id>"
    '<host href="/ovirt-engine/api/hosts/h-01" id="h-01"/>'
    '<vm href="/ovirt-engine/api/vms/v1" id="v1"/></backup>'
)

BACKUP_INLINED_DISKS = """\
<backup id="b2">
  <description>nightly</description>
  <disks>
    <disk id="d1">
      <active>true</active>
      <actual_size>1048576</actual_size>
      <alias>vm1_disk1</alias>
      <backup>incremental</backup>
      <format>cow</format>
      <name>vm1_disk1</name>
      <provisioned_size>10737418240</provisioned_size>
      <status>ok</status>
      <storage_domains><storage_domain id="sd1"/></storage_domains>
    </disk>
  </disks>
</backup>
"""

# One valid document per global element of the schema.
VALID: dict[str, str] = {
    "api": """\
<api>
  <link href="/ovirt-engine/api/vms" rel="vms"/>
  <link href="/ovirt-engine/api/vms?search={query}" rel="vms/search"/>
  <product_info>
    <instance_id>5b2b9f0e-0000-0000-0000-000000000000</instance_id>
    <name>oVirt Engine</name>
    <vendor>ovirt.org</vendor>
    <version>
      <build>7</build>
      <full_version>4.5.6-1.el9</full_version>
      <major>4</major>
      <minor>5</minor>
      <revision>0</revision>
    </version>
  </product_info>
  <summary>
    <hosts><active>1</active><total>1</total></hosts>
    <storage_domains><active>1</active><total>2</total></storage_domains>
    <users><active>1</active><total>1</total></users>
    <vms><active>0</active><total>3</total></vms>
  </summary>
  <time>2024-05-01T10:20:30.123+00:00</time>
  <authenticated_user href="/ovirt-engine/api/users/u1" id="u1"/>
  <effective_user href="/ovirt-engine/api/users/u1" id="u1"/>
</api>
""",
    "product_info": "<product_info><name>oVirt Engine</name><vendor>ovirt.org</vendor>"
    "</product_info>",
    "api_summary": "<api_summary><vms><active>1</active><total>2</total></vms></api_summary>",
    "api_summary_item": "<api_summary_item><active>1</active><total>2</total></api_summary_item>",
    "fault": "<fault><reason>Operation Failed</reason><detail>[Cannot backup VM.]</detail></fault>",
    "version": "<version><build>7</build><major>4</major><minor>5</minor></version>",
    "vm": """\
<vm href="/ovirt-engine/api/vms/v1" id="v1">
  <actions><link href="/ovirt-engine/api/vms/v1/start" rel="start"/></actions>
  <link href="/ovirt-engine/api/vms/v1/backups" rel="backups"/>
  <creation_time>2024-05-01T10:00:00.000+00:00</creation_time>
  <memory>4294967296</memory>
  <name>vm1</name>
  <status>up</status>
  <type>server</type>
  <cluster href="/ovirt-engine/api/clusters/c1" id="c1"/>
  <disk_attachments>
    <disk_attachment id="d1"><bootable>true</bootable><interface>virtio_scsi</interface>
      <disk id="d1"/></disk_attachment>
  </disk_attachments>
  <host id="h-01"/>
  <snapshots><snapshot id="s1"><snapshot_type>active</snapshot_type></snapshot></snapshots>
  <template id="00000000-0000-0000-0000-000000000000"/>
</vm>
""",
    "template": '<template id="t0"><name>Blank</name></template>',
    "disk": """\
<disk href="/ovirt-engine/api/disks/d1" id="d1">
  <actual_size>1048576</actual_size>
  <backup>incremental</backup>
  <content_type>data</content_type>
  <format>cow</format>
  <initial_size>0</initial_size>
  <provisioned_size>10737418240</provisioned_size>
  <qcow_version>qcow2_v3</qcow_version>
  <sparse>true</sparse>
  <status>ok</status>
  <storage_type>image</storage_type>
  <total_size>1048576</total_size>
  <wipe_after_delete>false</wipe_after_delete>
  <disk_profile id="dp1"/>
  <quota id="q1"/>
  <storage_domains><storage_domain id="sd1"/></storage_domains>
  <vms><vm id="v1"/></vms>
</disk>
""",
    "disk_snapshot": '<disk_snapshot id="ds1"><format>cow</format><disk id="d1"/>'
    '<parent id="ds0"/><snapshot id="s1"/></disk_snapshot>',
    "disk_snapshots": '<disk_snapshots><disk_snapshot href="/ovirt-engine/api/disks/d1/'
    'disksnapshots/ds1" id="ds1"><status>ok</status><disk id="d1"/><storage_domains>'
    '<storage_domain id="sd1"/></storage_domains></disk_snapshot></disk_snapshots>',
    "disk_profile": '<disk_profile id="dp1"><name>sd1</name></disk_profile>',
    "quota": '<quota id="q1"><name>Default</name></quota>',
    "disk_attachment": '<disk_attachment id="d1"><active>true</active>'
    "<interface>virtio</interface><pass_discard>false</pass_discard>"
    '<disk id="d1"/><vm id="v1"/></disk_attachment>',
    "host": '<host id="h-01"><address>host1.example.com</address><name>host1</name>'
    '<status>up</status><cluster id="c1"/></host>',
    "storage_domain": '<storage_domain id="sd1"><available>107374182400</available>'
    "<committed>0</committed><master>true</master><name>data1</name><status>active</status>"
    "<storage><address>nfs.example.com</address><path>/exports/data1</path><type>nfs</type>"
    "</storage><storage_format>v5</storage_format><type>data</type><used>1073741824</used>"
    '<data_centers><data_center id="dc1"/></data_centers></storage_domain>',
    "host_storage": "<host_storage><path>/exports/iso</path><type>localfs</type></host_storage>",
    "data_center": '<data_center id="dc1"><local>false</local><name>Default</name>'
    "<status>up</status><storage_format>v5</storage_format>"
    "<version><major>4</major><minor>7</minor></version></data_center>",
    "cluster": '<cluster id="c1"><name>Default</name><version><major>4</major>'
    '<minor>7</minor></version><data_center id="dc1"/></cluster>',
    "event": '<event id="1042"><code>10792</code><custom_id>-1</custom_id>'
    "<description>Backup started</description><flood_rate>30</flood_rate><index>1042</index>"
    "<origin>oVirt</origin><severity>normal</severity>"
    '<time>2024-05-01T10:20:30.123+00:00</time><user id="u1"/><vm id="v1"/></event>',
    "user": '<user id="u1"><name>admin</name><user_name>admin@internal</user_name></user>',
    "job": '<job id="j1"><auto_cleared>true</auto_cleared><description>Backup</description>'
    "<external>false</external><last_updated>2024-05-01T10:20:30.123+00:00</last_updated>"
    "<start_time>2024-05-01T10:20:30.123+00:00</start_time><status>started</status>"
    '<owner id="u1"/></job>',
    "snapshot": '<snapshot id="s1"><date>2024-05-01T10:20:30.123+00:00</date>'
    "<description>Active VM</description><persist_memorystate>false</persist_memorystate>"
    "<snapshot_status>ok</snapshot_status><snapshot_type>active</snapshot_type>"
    '<disks><disk id="d1"/></disks><vm id="v1"/></snapshot>',
    "backup": BACKUP_COMPACT,
    "checkpoint": '<checkpoint id="cp-42"><creation_date>2024-05-01T10:20:30.123+00:00'
    "</creation_date><parent_id>cp-41</parent_id><state>created</state>"
    '<disks><disk id="d1"/></disks><vm id="v1"/></checkpoint>',
    "image_transfer": """\
<image_transfer href="/ovirt-engine/api/imagetransfers/it1" id="it1">
  <actions><link href="/ovirt-engine/api/imagetransfers/it1/finalize" rel="finalize"/></actions>
  <active>true</active>
  <direction>download</direction>
  <format>raw</format>
  <inactivity_timeout>60</inactivity_timeout>
  <phase>transferring</phase>
  <proxy_url>https://engine:54323/images/ticket-1</proxy_url>
  <shallow>false</shallow>
  <timeout_policy>legacy</timeout_policy>
  <transfer_url>https://host1:54322/images/ticket-1</transfer_url>
  <transferred>10737418240</transferred>
  <backup id="b1"/>
  <disk id="d1"/>
  <host id="h-01"/>
  <image id="img1"/>
  <snapshot id="ds1"/>
</image_transfer>
""",
    "image": '<image id="img1"><size>1048576</size><type>disk</type>'
    '<storage_domain id="sd1"/></image>',
    "action": "<action><async>false</async><fault><reason>Operation Failed</reason></fault>"
    "<force>true</force><status>complete</status></action>",
    "vms": '<vms><vm id="v1"/><vm id="v2"><name>vm2</name></vm></vms>',
    "disks": '<disks><disk id="d1"/></disks>',
    "disk_attachments": '<disk_attachments><disk_attachment id="d1"/></disk_attachments>',
    "hosts": '<hosts><host id="h-01"/></hosts>',
    "storage_domains": '<storage_domains><storage_domain id="sd1"/></storage_domains>',
    "data_centers": '<data_centers><data_center id="dc1"/></data_centers>',
    "clusters": '<clusters><cluster id="c1"/></clusters>',
    "events": '<events><event id="1"><severity>warning</severity></event></events>',
    "jobs": '<jobs><job id="j1"/></jobs>',
    "snapshots": '<snapshots><snapshot id="s1"/></snapshots>',
    "backups": "<backups/>",
    "checkpoints": '<checkpoints><checkpoint id="cp-41"/><checkpoint id="cp-42"/></checkpoints>',
    "image_transfers": '<image_transfers><image_transfer id="it1"/></image_transfers>',
    "users": '<users><user id="u1"/></users>',
    "templates": '<templates><template id="t0"/></templates>',
    "template_version": "<template_version><version_number>1</version_number>"
    '<base_template id="t0"/></template_version>',
    "permission": '<permission id="p1"><role id="r1"/><user id="u1"/><vm id="v1"/></permission>',
    "role": '<role id="r1"><administrative>true</administrative><name>SuperUser</name></role>',
    "statistic": '<statistic id="s1"><description>Total memory</description><kind>gauge</kind>'
    "<name>memory.total</name><type>integer</type><unit>bytes</unit>"
    '<values><value><datum>1024</datum></value></values><host id="h-01"/></statistic>',
    "value": "<value><datum>0.12</datum></value>",
    "permissions": '<permissions><permission id="p1"/></permissions>',
    "statistics": '<statistics><statistic id="s1"/></statistics>',
    "values": "<values><value><datum>1</datum></value></values>",
    # the VM configuration, NICs and networks of a restore (docs/disks-and-vms.md)
    "cpu": "<cpu><topology><cores>2</cores><sockets>1</sockets><threads>1</threads>"
    "</topology></cpu>",
    "cpu_topology": "<cpu_topology><cores>2</cores><sockets>1</sockets></cpu_topology>",
    "memory_policy": "<memory_policy><ballooning>true</ballooning><guaranteed>1073741824"
    "</guaranteed><max>4294967296</max></memory_policy>",
    "operating_system": "<operating_system><type>other</type></operating_system>",
    "initialization": "<initialization><configuration><data>&lt;ovf:Envelope/&gt;</data>"
    "<type>ovf</type></configuration><regenerate_ids>true</regenerate_ids></initialization>",
    "configuration": "<configuration><data>x</data><type>ovf</type></configuration>",
    "mac": "<mac><address>56:6f:00:00:00:01</address></mac>",
    "vnic_pass_through": "<vnic_pass_through><mode>disabled</mode></vnic_pass_through>",
    "usages": "<usages><usage>vm</usage><usage>management</usage></usages>",
    "nic": '<nic href="/ovirt-engine/api/vms/v1/nics/n1" id="n1"><interface>virtio</interface>'
    "<linked>true</linked><mac><address>56:6f:00:00:00:01</address></mac><name>nic1</name>"
    '<plugged>true</plugged><vm id="v1"/><vnic_profile id="p1"/></nic>',
    "vnic_profile": '<vnic_profile id="p1"><name>ovirtmgmt</name><pass_through><mode>disabled'
    '</mode></pass_through><port_mirroring>false</port_mirroring><network id="n1"/>'
    "</vnic_profile>",
    "network": '<network id="n1"><mtu>0</mtu><name>ovirtmgmt</name><required>true</required>'
    '<stp>false</stp><usages><usage>vm</usage></usages><data_center id="dc1"/></network>',
    "nics": '<nics><nic id="n1"/></nics>',
    "vnic_profiles": '<vnic_profiles><vnic_profile id="p1"/></vnic_profiles>',
    "networks": '<networks><network id="n1"/></networks>',
}

INVALID: dict[str, str] = {
    "upper-case enum value": "<backup><phase>READY</phase></backup>",
    "unknown element inside backup": "<backup><phase>ready</phase><colour>blue</colour></backup>",
    "text in an integer element": "<disk><provisioned_size>ten gigabytes</provisioned_size></disk>",
    "members out of alphabetical order": "<backup><phase>ready</phase><name>b</name></backup>",
    "links before attribute members": '<backup><vm id="v1"/><phase>ready</phase></backup>',
    "attribute other than id/href": '<backup id="b1" phase="ready"/>',
    "foreign item in a collection": '<disks><vm id="v1"/></disks>',
    "xs:int overflow": "<event><code>4294967296</code></event>",
    "unknown root element": '<tag id="t1"/>',
}


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD_PATH)


def test_every_global_element_has_a_sample(schema: xmlschema.XMLSchema) -> None:
    assert set(schema.elements) == set(VALID)


@pytest.mark.parametrize("root", sorted(VALID))
def test_valid_sample(schema: xmlschema.XMLSchema, root: str) -> None:
    schema.validate(VALID[root])


@pytest.mark.parametrize("document", [BACKUP_COMPACT, BACKUP_INLINED_DISKS])
def test_backup_samples_from_the_brief(schema: xmlschema.XMLSchema, document: str) -> None:
    schema.validate(document)


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_sample(schema: xmlschema.XMLSchema, case: str) -> None:
    assert not schema.is_valid(INVALID[case])
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(INVALID[case])


def test_decoded_values(schema: xmlschema.XMLSchema) -> None:
    data = schema.to_dict(BACKUP_INLINED_DISKS)
    disk = data["disks"]["disk"][0]
    assert disk["@id"] == "d1"
    assert disk["provisioned_size"] == 10737418240
    assert disk["active"] is True
    assert disk["backup"] == "incremental"


def test_enums_are_lower_case(schema: xmlschema.XMLSchema) -> None:
    enums = {
        name: xsd_type.enumeration
        for name, xsd_type in schema.types.items()
        if xsd_type.is_simple() and xsd_type.enumeration
    }
    assert "BackupPhase" in enums
    assert "ImageTransferPhase" in enums
    for name, values in enums.items():
        assert values, name
        assert all(v == v.lower() for v in values), name


def test_id_and_href_are_the_only_object_attributes(schema: xmlschema.XMLSchema) -> None:
    for name, xsd_type in schema.types.items():
        if xsd_type.is_simple():
            continue
        allowed = {"href", "rel"} if name == "Link" else {"id", "href"}
        assert set(xsd_type.attributes) <= allowed, name


def test_collections_hold_only_their_items(schema: xmlschema.XMLSchema) -> None:
    collections = {
        "vms": "vm",
        "disks": "disk",
        "disk_attachments": "disk_attachment",
        "hosts": "host",
        "storage_domains": "storage_domain",
        "data_centers": "data_center",
        "clusters": "cluster",
        "events": "event",
        "jobs": "job",
        "snapshots": "snapshot",
        "disk_snapshots": "disk_snapshot",
        "backups": "backup",
        "checkpoints": "checkpoint",
        "image_transfers": "image_transfer",
        "users": "user",
        "templates": "template",
        "permissions": "permission",
        "statistics": "statistic",
        "values": "value",
    }
    for plural, item in collections.items():
        xsd_type = schema.elements[plural].type
        children = list(xsd_type.content.iter_elements())
        assert [child.name for child in children] == [item], plural
        assert children[0].min_occurs == 0
        assert children[0].max_occurs is None
        assert not xsd_type.attributes, plural
