// A mini program page that looks an order up through getOrder and shows its status or why not.
Page({
  data: { status: '', label: '', error: '' },
  async lookUp(order) {
    const { result } = await wx.cloud.callFunction({ name: 'getOrder', data: order })
    if (result.ok) this.setData({ status: result.order.status, label: result.order.printHtml || '', error: '' })
    else this.setData({ status: '', label: '', error: `${result.error.code}: ${result.error.hint || result.error.message}` })
  },
})
