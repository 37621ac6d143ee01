// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-vdpa character device: ioctls and IOTLB messages.
 *
 * Ordering rules of drivers/vhost/vdpa.c (6.12) that callers must respect:
 * VHOST_SET_OWNER before any vring ioctl or IOTLB message (else EPERM);
 * VHOST_SET_FEATURES only before FEATURES_OK (else EBUSY);
 * VHOST_SET_VRING_ADDR/BASE only before DRIVER_OK or while suspended
 * (else EINVAL); VHOST_SET_VRING_NUM at most the device maximum and a
 * power of two. VHOST_VDPA_SET_STATUS may only add bits, or write 0 to reset,
 * and it does not fail when the device rejects a bit: read the status back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util.h"
#include "vhost.h"

int vdpa_open(struct vdpa_dev *dev, const char *path)
{
	memset(dev, 0, sizeof(*dev));
	dev->path = path;
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		int err = errno;

		fail("open %s: %s\n", path, strerror(err));
		return -err;
	}
	return 0;
}

void vdpa_close(struct vdpa_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

int vdpa_ioctl(struct vdpa_dev *dev, unsigned long req, const char *name,
	       void *arg)
{
	if (ioctl(dev->fd, req, arg) < 0) {
		int err = errno;

		fail("%s on %s: %s (errno %d)\n", name, dev->path,
		     strerror(err), err);
		return -err;
	}
	return 0;
}

int vdpa_set_owner(struct vdpa_dev *dev)
{
	return VDPA_IOCTL(dev, VHOST_SET_OWNER, NULL);
}

int vdpa_get_backend_features(struct vdpa_dev *dev, uint64_t *features)
{
	__u64 f = 0;
	int ret = VDPA_IOCTL(dev, VHOST_GET_BACKEND_FEATURES, &f);

	*features = f;
	return ret;
}

int vdpa_set_backend_features(struct vdpa_dev *dev, uint64_t features)
{
	__u64 f = features;
	int ret = VDPA_IOCTL(dev, VHOST_SET_BACKEND_FEATURES, &f);

	if (!ret)
		dev->backend_features = features;
	return ret;
}

int vdpa_get_device_id(struct vdpa_dev *dev, uint32_t *id)
{
	__u32 v = 0;
	int ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_DEVICE_ID, &v);

	*id = v;
	return ret;
}

int vdpa_get_features(struct vdpa_dev *dev, uint64_t *features)
{
	__u64 f = 0;
	int ret = VDPA_IOCTL(dev, VHOST_GET_FEATURES, &f);

	*features = f;
	return ret;
}

int vdpa_set_features(struct vdpa_dev *dev, uint64_t features)
{
	__u64 f = features;

	return VDPA_IOCTL(dev, VHOST_SET_FEATURES, &f);
}

int vdpa_get_vqs_count(struct vdpa_dev *dev, uint32_t *count)
{
	__u32 v = 0;
	int ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_VQS_COUNT, &v);

	*count = v;
	return ret;
}

int vdpa_get_group_num(struct vdpa_dev *dev, uint32_t *groups)
{
	__u32 v = 0;
	int ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_GROUP_NUM, &v);

	*groups = v;
	return ret;
}

int vdpa_get_as_num(struct vdpa_dev *dev, uint32_t *nas)
{
	unsigned int v = 0;
	int ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_AS_NUM, &v);

	*nas = v;
	return ret;
}

int vdpa_get_vring_num(struct vdpa_dev *dev, uint16_t *max)
{
	__u16 v = 0;
	int ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_VRING_NUM, &v);

	*max = v;
	return ret;
}

int vdpa_get_config_size(struct vdpa_dev *dev, uint32_t *size)
{
	__u32 v = 0;
	int ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_CONFIG_SIZE, &v);

	*size = v;
	return ret;
}

/* The kernel refuses (EINVAL) a window that ends past the config size. */
int vdpa_get_config(struct vdpa_dev *dev, uint32_t off, void *buf,
		    uint32_t len)
{
	struct vhost_vdpa_config *c;
	int ret;

	c = calloc(1, sizeof(*c) + len);
	if (!c) {
		fail("VHOST_VDPA_GET_CONFIG: out of memory\n");
		return -ENOMEM;
	}
	c->off = off;
	c->len = len;
	ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_CONFIG, c);
	if (!ret)
		memcpy(buf, c->buf, len);
	free(c);
	return ret;
}

int vdpa_get_iova_range(struct vdpa_dev *dev, uint64_t *first, uint64_t *last)
{
	struct vhost_vdpa_iova_range r = { 0, 0 };
	int ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_IOVA_RANGE, &r);

	*first = r.first;
	*last = r.last;
	return ret;
}

int vdpa_get_status(struct vdpa_dev *dev, uint8_t *status)
{
	__u8 s = 0;
	int ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_STATUS, &s);

	*status = s;
	return ret;
}

int vdpa_set_status(struct vdpa_dev *dev, uint8_t status)
{
	__u8 s = status;

	return VDPA_IOCTL(dev, VHOST_VDPA_SET_STATUS, &s);
}

int vdpa_suspend(struct vdpa_dev *dev)
{
	return VDPA_IOCTL(dev, VHOST_VDPA_SUSPEND, NULL);
}

int vdpa_resume(struct vdpa_dev *dev)
{
	return VDPA_IOCTL(dev, VHOST_VDPA_RESUME, NULL);
}

/*
 * The order QEMU uses too: size, addresses, base (unless keep_base), then
 * the eventfds. The ring must already be mapped in the IOTLB of its group's
 * address space.
 */
int vdpa_vring_setup(struct vdpa_dev *dev, const struct vdpa_vring_cfg *cfg)
{
	struct vhost_vring_state state = { .index = cfg->index };
	struct vhost_vring_addr addr = { .index = cfg->index };
	struct vhost_vring_file file = { .index = cfg->index };
	int ret;

	state.num = cfg->num;
	ret = VDPA_IOCTL(dev, VHOST_SET_VRING_NUM, &state);
	if (ret)
		return ret;

	addr.desc_user_addr = cfg->desc_iova;
	addr.avail_user_addr = cfg->driver_iova;
	addr.used_user_addr = cfg->device_iova;
	ret = VDPA_IOCTL(dev, VHOST_SET_VRING_ADDR, &addr);
	if (ret)
		return ret;

	if (!cfg->keep_base) {
		state.num = cfg->base;
		ret = VDPA_IOCTL(dev, VHOST_SET_VRING_BASE, &state);
		if (ret)
			return ret;
	}

	file.fd = cfg->kick_fd;
	ret = VDPA_IOCTL(dev, VHOST_SET_VRING_KICK, &file);
	if (ret)
		return ret;

	file.fd = cfg->call_fd;
	return VDPA_IOCTL(dev, VHOST_SET_VRING_CALL, &file);
}

int vdpa_set_vring_enable(struct vdpa_dev *dev, unsigned int index,
			  bool enable)
{
	struct vhost_vring_state state = { .index = index, .num = enable };

	return VDPA_IOCTL(dev, VHOST_VDPA_SET_VRING_ENABLE, &state);
}

int vdpa_set_vring_base(struct vdpa_dev *dev, unsigned int index,
			uint32_t base)
{
	struct vhost_vring_state state = { .index = index, .num = base };

	return VDPA_IOCTL(dev, VHOST_SET_VRING_BASE, &state);
}

/* Split rings: last_avail_idx. Packed: avail | wrap << 15 | used << 16. */
int vdpa_get_vring_base(struct vdpa_dev *dev, unsigned int index,
			uint32_t *base)
{
	struct vhost_vring_state state = { .index = index };
	int ret = VDPA_IOCTL(dev, VHOST_GET_VRING_BASE, &state);

	*base = state.num;
	return ret;
}

int vdpa_get_vring_group(struct vdpa_dev *dev, unsigned int index,
			 uint32_t *group)
{
	struct vhost_vring_state state = { .index = index };
	int ret = VDPA_IOCTL(dev, VHOST_VDPA_GET_VRING_GROUP, &state);

	*group = state.num;
	return ret;
}

int vdpa_set_group_asid(struct vdpa_dev *dev, unsigned int group,
			unsigned int asid)
{
	struct vhost_vring_state state = { .index = group, .num = asid };

	return VDPA_IOCTL(dev, VHOST_VDPA_SET_GROUP_ASID, &state);
}

static const char *iotlb_type_name(uint8_t type)
{
	switch (type) {
	case VHOST_IOTLB_UPDATE:
		return "VHOST_IOTLB_UPDATE";
	case VHOST_IOTLB_INVALIDATE:
		return "VHOST_IOTLB_INVALIDATE";
	case VHOST_IOTLB_BATCH_BEGIN:
		return "VHOST_IOTLB_BATCH_BEGIN";
	case VHOST_IOTLB_BATCH_END:
		return "VHOST_IOTLB_BATCH_END";
	default:
		return "VHOST_IOTLB_?";
	}
}

/*
 * vhost_chr_write_iter() reads the asid field only when IOTLB_ASID was acked
 * and turns every failure of the message handler into EFAULT, so the errno
 * says little: the kernel log has the detail for some failures.
 */
static int iotlb_write(struct vdpa_dev *dev, unsigned int asid,
		       const struct vhost_iotlb_msg *iotlb)
{
	struct vhost_msg_v2 msg;
	ssize_t n;

	if (asid && !(dev->backend_features &
		      (1ULL << VHOST_BACKEND_F_IOTLB_ASID))) {
		fail("%s asid %u: VHOST_BACKEND_F_IOTLB_ASID not acked\n",
		     iotlb_type_name(iotlb->type), asid);
		return -EINVAL;
	}

	memset(&msg, 0, sizeof(msg));
	msg.type = VHOST_IOTLB_MSG_V2;
	msg.asid = asid;
	msg.iotlb = *iotlb;

	n = write(dev->fd, &msg, sizeof(msg));
	if (n < 0) {
		int err = errno;

		fail("%s asid %u iova 0x%llx size 0x%llx: write: %s (errno %d)%s\n",
		     iotlb_type_name(iotlb->type), asid,
		     (unsigned long long)iotlb->iova,
		     (unsigned long long)iotlb->size, strerror(err), err,
		     err == EFAULT ? " (vhost reports any IOTLB failure as EFAULT)" : "");
		return -err;
	}
	if ((size_t)n != sizeof(msg)) {
		fail("%s: short write %zd of %zu bytes\n",
		     iotlb_type_name(iotlb->type), n, sizeof(msg));
		return -EIO;
	}
	return 0;
}

int vdpa_iotlb_batch_begin(struct vdpa_dev *dev, unsigned int asid)
{
	struct vhost_iotlb_msg m = { .type = VHOST_IOTLB_BATCH_BEGIN };
	int ret;

	if (!(dev->backend_features & (1ULL << VHOST_BACKEND_F_IOTLB_BATCH)))
		return 0;
	if (dev->in_batch) {
		fail("VHOST_IOTLB_BATCH_BEGIN: already in a batch\n");
		return -EINVAL;
	}
	ret = iotlb_write(dev, asid, &m);
	if (!ret) {
		dev->in_batch = true;
		dev->batch_asid = asid;
	}
	return ret;
}

/* BATCH_END must carry the batch's ASID: the kernel rejects any other. */
int vdpa_iotlb_batch_end(struct vdpa_dev *dev)
{
	struct vhost_iotlb_msg m = { .type = VHOST_IOTLB_BATCH_END };
	int ret;

	if (!dev->in_batch)
		return 0;
	ret = iotlb_write(dev, dev->batch_asid, &m);
	dev->in_batch = false;
	return ret;
}

int vdpa_iotlb_update(struct vdpa_dev *dev, unsigned int asid, uint64_t iova,
		      uint64_t size, const void *uaddr, uint8_t perm)
{
	struct vhost_iotlb_msg m = {
		.iova = iova,
		.size = size,
		.uaddr = (uint64_t)(uintptr_t)uaddr,
		.perm = perm,
		.type = VHOST_IOTLB_UPDATE,
	};

	return iotlb_write(dev, asid, &m);
}

int vdpa_iotlb_invalidate(struct vdpa_dev *dev, unsigned int asid,
			  uint64_t iova, uint64_t size)
{
	struct vhost_iotlb_msg m = {
		.iova = iova,
		.size = size,
		.type = VHOST_IOTLB_INVALIDATE,
	};

	return iotlb_write(dev, asid, &m);
}

struct bit_name {
	unsigned int bit;
	const char *name;
};

static const char *bits_str(uint64_t v, const struct bit_name *names,
			    size_t count, char *buf, size_t len)
{
	size_t used = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < count; i++) {
		if (!(v & (1ULL << names[i].bit)))
			continue;
		v &= ~(1ULL << names[i].bit);
		str_append(buf, len, &used, "%s%s", used ? "|" : "",
			   names[i].name);
	}
	if (v)
		str_append(buf, len, &used, "%s0x%llx", used ? "|" : "",
			   (unsigned long long)v);
	if (!used)
		str_append(buf, len, &used, "0");
	return buf;
}

const char *vdpa_status_str(uint8_t status, char *buf, size_t len)
{
	static const struct bit_name names[] = {
		{ 0, "ACKNOWLEDGE" },
		{ 1, "DRIVER" },
		{ 2, "DRIVER_OK" },
		{ 3, "FEATURES_OK" },
		{ 6, "NEEDS_RESET" },
		{ 7, "FAILED" },
	};

	return bits_str(status, names, ARRAY_SIZE(names), buf,
			len);
}

const char *vdpa_backend_features_str(uint64_t features, char *buf, size_t len)
{
	static const struct bit_name names[] = {
		{ VHOST_BACKEND_F_IOTLB_MSG_V2, "IOTLB_MSG_V2" },
		{ VHOST_BACKEND_F_IOTLB_BATCH, "IOTLB_BATCH" },
		{ VHOST_BACKEND_F_IOTLB_ASID, "IOTLB_ASID" },
		{ VHOST_BACKEND_F_SUSPEND, "SUSPEND" },
		{ VHOST_BACKEND_F_RESUME, "RESUME" },
		{ VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK, "ENABLE_AFTER_DRIVER_OK" },
		{ VHOST_BACKEND_F_DESC_ASID, "DESC_ASID" },
		{ VHOST_BACKEND_F_IOTLB_PERSIST, "IOTLB_PERSIST" },
	};

	return bits_str(features, names, ARRAY_SIZE(names),
			buf, len);
}
