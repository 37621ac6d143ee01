/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uapi constants that Linux 6.12 has but an older linux-libc-dev may lack
 * (Debian 12 ships 6.1 headers). Values are taken from the 6.12 uapi
 * headers; each is defined only when the installed header did not.
 */
#ifndef VDPA_CLIENT_COMPAT_H
#define VDPA_CLIENT_COMPAT_H

#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

/* include/uapi/linux/vhost_types.h (6.12): backend feature bits */
#ifndef VHOST_BACKEND_F_RESUME
#define VHOST_BACKEND_F_RESUME			0x5
#endif
#ifndef VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK
#define VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK	0x6
#endif
#ifndef VHOST_BACKEND_F_DESC_ASID
#define VHOST_BACKEND_F_DESC_ASID		0x7
#endif
#ifndef VHOST_BACKEND_F_IOTLB_PERSIST
#define VHOST_BACKEND_F_IOTLB_PERSIST		0x8
#endif

/* include/uapi/linux/vhost.h (6.12): vhost-vdpa ioctls */
#ifndef VHOST_VDPA_RESUME
#define VHOST_VDPA_RESUME		_IO(VHOST_VIRTIO, 0x7E)
#endif
#ifndef VHOST_VDPA_GET_VRING_DESC_GROUP
#define VHOST_VDPA_GET_VRING_DESC_GROUP	_IOWR(VHOST_VIRTIO, 0x7F, \
					      struct vhost_vring_state)
#endif
#ifndef VHOST_VDPA_GET_VQS_COUNT
#define VHOST_VDPA_GET_VQS_COUNT	_IOR(VHOST_VIRTIO, 0x80, __u32)
#endif
#ifndef VHOST_VDPA_GET_GROUP_NUM
#define VHOST_VDPA_GET_GROUP_NUM	_IOR(VHOST_VIRTIO, 0x81, __u32)
#endif
#ifndef VHOST_VDPA_GET_VRING_SIZE
#define VHOST_VDPA_GET_VRING_SIZE	_IOWR(VHOST_VIRTIO, 0x82, \
					      struct vhost_vring_state)
#endif

/* include/uapi/linux/virtio_config.h (6.12): transport feature bits */
#ifndef VIRTIO_F_ACCESS_PLATFORM
#define VIRTIO_F_ACCESS_PLATFORM	33
#endif
#ifndef VIRTIO_F_RING_PACKED
#define VIRTIO_F_RING_PACKED		34
#endif
#ifndef VIRTIO_F_NOTIFICATION_DATA
#define VIRTIO_F_NOTIFICATION_DATA	38
#endif
#ifndef VIRTIO_F_NOTIF_CONFIG_DATA
#define VIRTIO_F_NOTIF_CONFIG_DATA	39
#endif
#ifndef VIRTIO_F_RING_RESET
#define VIRTIO_F_RING_RESET		40
#endif
#ifndef VIRTIO_F_ADMIN_VQ
#define VIRTIO_F_ADMIN_VQ		41
#endif

/* virtio 1.4 SUSPEND; not in the 6.12 uapi headers */
#ifndef VIRTIO_F_SUSPEND
#define VIRTIO_F_SUSPEND		43
#endif

#endif /* VDPA_CLIENT_COMPAT_H */
