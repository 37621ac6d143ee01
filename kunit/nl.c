// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: "vdpa dev add" and "vdpa dev del" the way the vdpa tool
 * does them, over a generic netlink socket, from the kernel. The vDPA
 * core only lets a parent register devices from its netlink handlers (it
 * holds its private lock there), so this is the one realistic path.
 */

#include <linux/file.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <uapi/linux/vdpa.h>

#include "vp_svq_test.h"

#define VPT_NL_BUF	1024

static void vpt_nl_put(u8 *buf, size_t *len, u16 type, const void *data,
		       u16 size)
{
	struct nlattr *a = (struct nlattr *)(buf + *len);

	if (WARN_ON(*len + nla_total_size(size) > VPT_NL_BUF))
		return;
	a->nla_type = type;
	a->nla_len = nla_attr_size(size);
	memcpy(nla_data(a), data, size);
	memset((u8 *)nla_data(a) + size, 0, nla_padlen(size));
	*len += nla_total_size(size);
}

static size_t vpt_nl_start(u8 *buf, u16 family, u8 cmd, u32 seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = nlmsg_data(nlh);

	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = 1;
	return NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Send the request in @buf, read replies until the ack; returns its error. */
static int vpt_nl_xfer(struct vpt_nl *nl, u8 *buf, size_t len,
		       int (*parse)(struct nlmsghdr *nlh, void *arg), void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &kernel,
			      .msg_namelen = sizeof(kernel) };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	int ret, rem;

	nlh->nlmsg_len = len;
	ret = kernel_sendmsg(nl->sock, &msg, &iov, 1, len);
	if (ret < 0)
		return ret;

	for (;;) {
		struct msghdr rmsg = { .msg_flags = 0 };

		iov.iov_base = buf;
		iov.iov_len = VPT_NL_BUF;
		/* The kernel answered before sendmsg returned. */
		ret = kernel_recvmsg(nl->sock, &rmsg, &iov, 1, VPT_NL_BUF,
				     MSG_DONTWAIT);
		if (ret < 0)
			return ret;
		rem = ret;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(nlh);

				return e->error;
			}
			if (parse) {
				ret = parse(nlh, arg);
				if (ret)
					return ret;
			}
		}
	}
}

static int vpt_nl_family_parse(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, nlmsg_data(nlh) + GENL_HDRLEN,
			  nlmsg_len(nlh) - GENL_HDRLEN, rem)
		if (nla_type(a) == CTRL_ATTR_FAMILY_ID)
			*(u16 *)arg = nla_get_u16(a);
	return 0;
}

/**
 * vpt_nl_open() - a generic netlink socket with the vdpa family resolved
 * @nl: filled in
 *
 * Return: 0 or -errno.
 */
int vpt_nl_open(struct vpt_nl *nl)
{
	u8 *buf;
	size_t len;
	int ret;

	memset(nl, 0, sizeof(*nl));
	ret = sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW, NETLINK_GENERIC,
			       &nl->sock);
	if (ret)
		return ret;
	/* Admin commands check the credentials of the socket's file. */
	nl->file = sock_alloc_file(nl->sock, 0, NULL);
	if (IS_ERR(nl->file)) {
		ret = PTR_ERR(nl->file);
		nl->file = NULL;
		nl->sock = NULL;
		return ret;
	}
	buf = kzalloc(VPT_NL_BUF, GFP_KERNEL);
	if (!buf) {
		vpt_nl_close(nl);
		return -ENOMEM;
	}
	len = vpt_nl_start(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, ++nl->seq);
	vpt_nl_put(buf, &len, CTRL_ATTR_FAMILY_NAME, VDPA_GENL_NAME,
		   sizeof(VDPA_GENL_NAME));
	ret = vpt_nl_xfer(nl, buf, len, vpt_nl_family_parse, &nl->family);
	kfree(buf);
	if (!ret && !nl->family)
		ret = -ENOENT;
	if (ret)
		vpt_nl_close(nl);
	return ret;
}

/**
 * vpt_nl_close() - release the socket of vpt_nl_open()
 * @nl: the socket; may be closed already
 */
void vpt_nl_close(struct vpt_nl *nl)
{
	if (nl->file)
		fput(nl->file);
	nl->file = NULL;
	nl->sock = NULL;
}

/**
 * vpt_nl_dev_add() - VDPA_CMD_DEV_NEW
 * @nl: the socket
 * @mgmtdev: name of the management device's struct device
 * @name: name of the new vDPA device
 * @attrs: optional attributes; NULL for none
 *
 * Return: the error of the ack (0 when the device was added).
 */
int vpt_nl_dev_add(struct vpt_nl *nl, const char *mgmtdev, const char *name,
		   const struct vpt_add_attrs *attrs)
{
	u8 *buf = kzalloc(VPT_NL_BUF, GFP_KERNEL);
	size_t len;
	int ret;

	if (!buf)
		return -ENOMEM;
	len = vpt_nl_start(buf, nl->family, VDPA_CMD_DEV_NEW, ++nl->seq);
	vpt_nl_put(buf, &len, VDPA_ATTR_MGMTDEV_BUS_NAME, "kunit",
		   sizeof("kunit"));
	vpt_nl_put(buf, &len, VDPA_ATTR_MGMTDEV_DEV_NAME, mgmtdev,
		   strlen(mgmtdev) + 1);
	vpt_nl_put(buf, &len, VDPA_ATTR_DEV_NAME, name, strlen(name) + 1);
	if (attrs && attrs->has_mac)
		vpt_nl_put(buf, &len, VDPA_ATTR_DEV_NET_CFG_MACADDR, attrs->mac,
			   ETH_ALEN);
	if (attrs && attrs->mtu)
		vpt_nl_put(buf, &len, VDPA_ATTR_DEV_NET_CFG_MTU, &attrs->mtu,
			   sizeof(attrs->mtu));
	if (attrs && attrs->max_vqp)
		vpt_nl_put(buf, &len, VDPA_ATTR_DEV_NET_CFG_MAX_VQP,
			   &attrs->max_vqp, sizeof(attrs->max_vqp));
	if (attrs && attrs->has_features)
		vpt_nl_put(buf, &len, VDPA_ATTR_DEV_FEATURES, &attrs->features,
			   sizeof(attrs->features));
	ret = vpt_nl_xfer(nl, buf, len, NULL, NULL);
	kfree(buf);
	return ret;
}

/**
 * vpt_nl_dev_del() - VDPA_CMD_DEV_DEL
 * @nl: the socket
 * @name: the vDPA device
 *
 * Return: the error of the ack.
 */
int vpt_nl_dev_del(struct vpt_nl *nl, const char *name)
{
	u8 *buf = kzalloc(VPT_NL_BUF, GFP_KERNEL);
	size_t len;
	int ret;

	if (!buf)
		return -ENOMEM;
	len = vpt_nl_start(buf, nl->family, VDPA_CMD_DEV_DEL, ++nl->seq);
	vpt_nl_put(buf, &len, VDPA_ATTR_DEV_NAME, name, strlen(name) + 1);
	ret = vpt_nl_xfer(nl, buf, len, NULL, NULL);
	kfree(buf);
	return ret;
}
