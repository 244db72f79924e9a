App({
  onLaunch() {
    // Set env to your CloudBase environment id if the mini program has more than one.
    wx.cloud.init({ traceUser: true })
  },
})
