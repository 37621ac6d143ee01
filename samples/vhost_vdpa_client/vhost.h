/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost-vdpa character device: ioctls and IOTLB messages.
 *
 * Every function returns 0 or a negative errno and, on failure, prints one
 * line naming the ioctl (or IOTLB message) and strerror(errno) to stderr.
 * Nothing here knows about rings or networking: queues are plain indices,
 * address spaces plain ASIDs.
 */
#ifndef VDPA_CLIENT_VHOST_H
#define VDPA_CLIENT_VHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "compat.h"

struct vdpa_dev {
	int fd;
	const char *path;
	uint64_t backend_features;	/* as acked with SET_BACKEND_FEATURES */
	bool in_batch;			/* between BATCH_BEGIN and BATCH_END */
	unsigned int batch_asid;
};

/* Everything VHOST_SET_VRING_* needs to attach one split or packed ring. */
struct vdpa_vring_cfg {
	unsigned int index;
	unsigned int num;
	uint64_t desc_iova;	/* descriptor area */
	uint64_t driver_iova;	/* avail ring (split) / driver event (packed) */
	uint64_t device_iova;	/* used ring (split) / device event (packed) */
	uint32_t base;		/* VHOST_SET_VRING_BASE value */
	bool keep_base;		/* no VHOST_SET_VRING_BASE: the device's stays */
	int kick_fd;
	int call_fd;		/* -1: no interrupts */
};

int vdpa_open(struct vdpa_dev *dev, const char *path);
void vdpa_close(struct vdpa_dev *dev);

int vdpa_ioctl(struct vdpa_dev *dev, unsigned long req, const char *name,
	       void *arg);
#define VDPA_IOCTL(dev, req, arg) vdpa_ioctl(dev, req, #req, arg)

/* whole device */
int vdpa_set_owner(struct vdpa_dev *dev);
int vdpa_get_backend_features(struct vdpa_dev *dev, uint64_t *features);
int vdpa_set_backend_features(struct vdpa_dev *dev, uint64_t features);
int vdpa_get_device_id(struct vdpa_dev *dev, uint32_t *id);
int vdpa_get_features(struct vdpa_dev *dev, uint64_t *features);
int vdpa_set_features(struct vdpa_dev *dev, uint64_t features);
int vdpa_get_vqs_count(struct vdpa_dev *dev, uint32_t *count);
int vdpa_get_group_num(struct vdpa_dev *dev, uint32_t *groups);
int vdpa_get_as_num(struct vdpa_dev *dev, uint32_t *nas);
int vdpa_get_vring_num(struct vdpa_dev *dev, uint16_t *max);
int vdpa_get_config_size(struct vdpa_dev *dev, uint32_t *size);
int vdpa_get_config(struct vdpa_dev *dev, uint32_t off, void *buf,
		    uint32_t len);
int vdpa_get_iova_range(struct vdpa_dev *dev, uint64_t *first,
			uint64_t *last);
int vdpa_get_status(struct vdpa_dev *dev, uint8_t *status);
int vdpa_set_status(struct vdpa_dev *dev, uint8_t status);
int vdpa_suspend(struct vdpa_dev *dev);
int vdpa_resume(struct vdpa_dev *dev);

/* one virtqueue */
int vdpa_vring_setup(struct vdpa_dev *dev, const struct vdpa_vring_cfg *cfg);
int vdpa_set_vring_enable(struct vdpa_dev *dev, unsigned int index,
			  bool enable);
int vdpa_set_vring_base(struct vdpa_dev *dev, unsigned int index,
			uint32_t base);
int vdpa_get_vring_base(struct vdpa_dev *dev, unsigned int index,
			uint32_t *base);
int vdpa_get_vring_group(struct vdpa_dev *dev, unsigned int index,
			 uint32_t *group);
int vdpa_set_group_asid(struct vdpa_dev *dev, unsigned int group,
			unsigned int asid);

/*
 * IOTLB (VHOST_IOTLB_MSG_V2 written to the fd). The batch calls do nothing
 * unless VHOST_BACKEND_F_IOTLB_BATCH was acked; an ASID other than 0 needs
 * VHOST_BACKEND_F_IOTLB_ASID (the kernel would silently use ASID 0).
 */
int vdpa_iotlb_batch_begin(struct vdpa_dev *dev, unsigned int asid);
int vdpa_iotlb_batch_end(struct vdpa_dev *dev);
int vdpa_iotlb_update(struct vdpa_dev *dev, unsigned int asid, uint64_t iova,
		      uint64_t size, const void *uaddr, uint8_t perm);
int vdpa_iotlb_invalidate(struct vdpa_dev *dev, unsigned int asid,
			  uint64_t iova, uint64_t size);

/* names for log lines */
const char *vdpa_status_str(uint8_t status, char *buf, size_t len);
const char *vdpa_backend_features_str(uint64_t features, char *buf,
				      size_t len);

#endif /* VDPA_CLIENT_VHOST_H */
